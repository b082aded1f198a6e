"""Synthetic production traffic of an AI support assistant, for Spotcheck's demo project.

Why this exists: someone trying Spotcheck needs a believable stream of outputs to sample,
review and measure before wiring up their own system. So the stream mimics what a real one
looks like to a reviewer instead of uniform noise: a skewed category mix, weekday and
working-hour traffic with mild growth, a model rollout half-way through, retrieved passages
that usually (not always) support the answer, and a few percent of answers that are subtly
wrong, over-permissive or refuse for no reason (more in medical and legal), so that human
review has something real to find. Nothing is labelled: finding them is the reviewer's job. An
automatic judge has scored every output (judge.py), well on billing, poorly on medical: what a
reviewer finds, it sometimes saw coming.

It is pure standard library and draws everything from one ``random.Random(seed)``, so the
same ``seed`` and ``end`` always give the same records, and record *i* does not depend on
``n`` (a longer run extends a shorter one). Texts are composed from per-category template
banks with slot fillers. A slot is drawn at most once per record (a product, an amount, a
medicine) and reused by the question, the answer, the tool call and the classifier label,
so they agree with each other.
"""
from __future__ import annotations

import datetime as dt
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any, NamedTuple

from .judge import judge_evaluation

__all__ = ["DEMO_CATEGORIES", "demo_records"]

DEMO_CATEGORIES: tuple[str, ...] = ("billing", "account", "medical", "legal", "general")

MODEL = "support-llm"
OLD_VERSION, NEW_VERSION = "2026-10-01", "2026-11-05"
PROMPT_VERSION = "v7"

_CATEGORY_CUM = list(accumulate((30, 25, 10, 10, 25)))
_BASE_TIER = {"billing": "medium", "account": "low", "medical": "high", "legal": "high", "general": "low"}
# Bands are open a hair below their upper edge so that rounding to 3 decimals stays inside.
_TIER_BAND = {"low": (0.02, 0.3494), "medium": (0.35, 0.6994), "high": (0.70, 1.0)}
_HIGH_SHARE = 0.05  # of billing/account traffic that is about fraud, chargebacks or takeover
_KIND_AGENT, _KIND_CLASSIFIER = 0.05, 0.03
_MULTI_TURN, _WITH_CONTEXT = 0.20, 0.70
# Share of answers that are wrong/over-permissive, and that refuse needlessly. The newer model
# is a little less often wrong but twice as prone to refusing: a story the data can tell.
_FLAW_RATE = {"billing": 0.03, "account": 0.03, "medical": 0.08, "legal": 0.07, "general": 0.025}
_REFUSAL_RATE = {"billing": 0.01, "account": 0.01, "medical": 0.03, "legal": 0.03, "general": 0.005}
_AGENT_FLAW_RATE, _CLASSIFIER_ERROR_RATE, _BAD_RETRIEVAL = 0.06, 0.05, 0.05

_LOCALES = ("en-GB", "en-US", "de-DE", "fr-FR", "en-IE", "nl-NL", "es-ES")
_LOCALE_CUM = list(accumulate((35, 30, 12, 8, 5, 5, 5)))
_CURRENCY = {"en-GB": "£", "en-US": "$"}  # everyone else pays in euros
_CHANNELS = ("chat", "app", "email")
_CHANNEL_CUM = list(accumulate((55, 25, 20)))

# Traffic shape: UTC hour of day, ISO weekday (Mon..Sun), and week-over-week growth.
_HOUR_WEIGHT = (0.12, 0.08, 0.06, 0.06, 0.08, 0.15, 0.3, 0.65, 0.9, 1.0, 1.0, 0.95,
                0.9, 0.95, 1.0, 1.0, 0.95, 0.9, 0.85, 0.8, 0.7, 0.5, 0.35, 0.2)
_DAY_WEIGHT = (1.0, 1.05, 1.03, 1.0, 0.92, 0.5, 0.42)
_WEEK_WEIGHT = (1.0, 1.05, 1.11, 1.17)
_WEEK = 7 * 24 * 3600


class _Topic(NamedTuple):
    """A kind of question: its phrasings, a good answer, flawed answers and its help-centre passage."""

    intent: str
    questions: tuple[str, ...]
    answer: str
    flawed: tuple[str, ...]
    kb: str


class _Action(NamedTuple):
    """A request the agent fulfils with a tool call; ``flawed_call`` is a plausible wrong call."""

    intent: str
    question: str
    call: str
    confirm: str
    flawed_call: str = ""


_NOT_MEDICAL = " This is general information and not a substitute for advice from a pharmacist or doctor."
_NOT_LEGAL = " This is general information, not legal advice."

# ---------------------------------------------------------------------------------------------
# Template banks. Slots in {braces} are filled per record by _SLOT_MAKERS below.
# ---------------------------------------------------------------------------------------------
_TOPICS: dict[str, tuple[_Topic, ...]] = {
    "billing": (
        _Topic("double_charge", (
            "I was charged twice for order {order_id} on {date}. I can see two payments of {amount} on my card ending {last4}. Can you fix this?",
            "My bank statement shows {amount} taken two times for the same order ({order_id}). Why did this happen and when do I get the money back?",
        ), "I'm sorry about the duplicate charge. In most cases a second payment of {amount} is a temporary authorisation hold that your bank places when a payment is retried; it normally disappears by itself within 3-5 business days without any action from you. If both payments for order {order_id} still show as completed (not pending) after 5 business days, reply here with a screenshot of the statement and we'll refund the duplicate straight away. Refunds are processed within 3 business days and usually reach your card ending {last4} within 5-10 business days, depending on your bank.", (
            "That does look like a duplicate charge. I've gone ahead and refunded both payments of {amount} for order {order_id}, so you'll get {amount_double} back on your card ending {last4} within 24 hours. You don't need to do anything else.",
        ), "Duplicate charges: a second payment shown as 'pending' is usually an authorisation hold from a retried payment and is released by the bank within 3-5 business days. Completed duplicates are refunded on request."),
        _Topic("refund_status", (
            "I returned the {product} two weeks ago and still haven't got my refund of {amount}. The order number is {order_id}. How long does this take?",
            "When will I get my refund for order {order_id}? The tracking says the return was delivered to you on {date}.",
        ), "Thanks for your patience. Once a return reaches our warehouse it's inspected and the refund is issued within 3 business days. After that it usually takes 5-10 business days for the money to appear on your statement, depending on your bank or card provider. You'll get an email confirmation with a refund reference as soon as the refund for order {order_id} is issued. If it's been more than 10 business days since that email and you still can't see it, send us the refund reference and we'll chase it with our payment provider.", (
            "Refunds can take up to 60 days to process, so there's nothing to worry about yet. Please wait until at least two months have passed before contacting us again about order {order_id}.",
        ), "Refunds: returned items are inspected and refunded within 3 business days of arriving at our warehouse. Banks usually take 5-10 business days to show the credit. Customers get a confirmation email with a refund reference."),
        _Topic("invoice_request", (
            "I need a VAT invoice for my {plan} subscription payment on {date} for my company's expenses. Where can I download it?",
            "Can you send me an invoice for order {order_id}? Our accounts team needs it with our company name and VAT number on it.",
        ), "You can download invoices yourself: go to Account > Billing > Invoices and click the PDF icon next to the payment. To add your company name and VAT number, open Billing details, enter them and save; any invoice generated afterwards, including re-downloads of invoices from the last 12 months, will show the updated details. If you need an invoice older than 12 months, or a corrected invoice for a payment that has already been reported, reply with the invoice number (it starts with INV-) and our billing team will issue it within 2 business days.", (
            "Unfortunately we can't add a VAT number to an invoice once the payment has been made, so you'll need to use the receipt email as proof of purchase instead.",
        ), "Invoices are available under Account > Billing > Invoices. Company name and VAT number can be added in Billing details and are applied to invoices regenerated within 12 months of the payment date."),
        _Topic("plan_change", (
            "If I change from {plan} to {new_plan} in the middle of my billing month, do I pay the full price again or just the difference?",
            "I want to move my subscription from {plan} to {new_plan}. When does the change take effect and do I get money back for this month?",
        ), "Plan changes work like this: upgrades take effect immediately and you're charged a prorated amount for the rest of the current billing period, so you only pay the difference for the days remaining. Downgrades take effect on your next billing date; you keep your current {plan} features until then and there's no partial refund for the current period. You can switch at any time under Account > Subscription > Change plan, and the confirmation screen shows exactly what you'll be charged before you confirm.", (
            "Plan changes only apply at the end of your billing period, and you'll be charged the full price of {new_plan} straight away as well, so it's best to wait until your renewal date before switching.",
        ), "Changing plans: upgrades apply immediately with a prorated charge for the rest of the billing period. Downgrades apply from the next billing date; no partial refunds are issued for the current period."),
        _Topic("cancel_subscription", (
            "How do I cancel my {plan} subscription before it renews on {next_date}? I don't want to be charged {amount} again.",
            "I want to cancel my {plan} subscription. Will I lose access immediately, and can I still get a refund for the last payment?",
        ), "You can cancel any time under Account > Subscription > Cancel subscription. Once cancelled, auto-renewal is switched off and you keep your {plan} features until the end of the period you've already paid for; you won't be charged again. To avoid the next payment, make sure you cancel at least 24 hours before the renewal date. Payments already taken aren't refunded automatically, but if a renewal was charged in the last 14 days and you haven't used the service since, contact us and we'll refund it.", (
            "To cancel, simply remove your card from your account. Once there's no valid payment method, the subscription stops automatically and nothing further will be charged.",
        ), "Cancelling: subscriptions can be cancelled under Account > Subscription. Access continues until the end of the paid period. Cancel at least 24 hours before renewal to avoid the next charge. Unused renewals within 14 days are refunded on request."),
        _Topic("payment_declined", (
            "My card keeps getting declined when I try to pay {amount} for the {product}, but it works everywhere else. What's going on?",
            "The payment for my subscription renewal failed on {date}. There's enough money on the card. How do I fix it so my account isn't suspended?",
        ), "Sorry about the trouble. The most common reasons for a declined payment are: 1) the billing address or postcode doesn't exactly match what your bank has on file, 2) your bank held the payment for a security check, which you can usually approve in your banking app, or 3) the card has expired or reached an online spending limit. Please check these, then retry under Account > Billing > Payment methods. If a subscription renewal fails, we retry automatically for 7 days and your access continues during that time, so there's no immediate risk to your account.", (
            "Declines usually mean our system is busy, so please try the payment five or six times in a row; after a few attempts it normally goes through.",
        ), "Failed payments: check billing address, bank security approvals and card expiry. Failed subscription renewals are retried automatically for 7 days and access continues during the retry period."),
        _Topic("price_increase", (
            "Why was I charged {amount} this month instead of the usual price for {plan}? Nobody told me about a price increase.",
        ), "I understand that's frustrating. Price changes for existing subscribers are announced by email at least 30 days before they take effect, and the notice is also shown under Account > Messages. If {amount} is more than you expected, it may also include a prorated charge from a plan change or add-on, or a change in local VAT. The invoice for that payment shows a line-by-line breakdown. If you didn't receive a 30-day notice, let us know: in that case you can ask us to refund the difference, or cancel and get the renewal refunded.", (
            "Prices can change at any time without notice under our terms, so the new charge of {amount} is correct and can't be refunded.",
        ), "Price changes: existing subscribers are notified by email at least 30 days in advance. Customers who did not receive notice may request a refund of the difference or cancel with a refund of the renewal."),
        _Topic("promo_code", (
            "I used the promo code {promo} when I bought the {product}, but the discount wasn't applied. Can I still get it?",
            "Forgot to enter my discount code {promo} at checkout for order {order_id}. Is it too late to use it?",
        ), "Thanks for letting us know. Promo codes have to be entered at checkout and can't be combined with other offers, so if the order already had a sale price the code may have been rejected for that reason. If {promo} was valid on the day you ordered and the order qualified, we can apply the discount retrospectively as a partial refund within 30 days of purchase. Please reply with your order number and a screenshot of the code or the email it came in, and we'll check it for you.", (
            "No problem: promo codes can be applied to any past order regardless of the date, so I've noted a refund of the full discount for you. It will appear automatically.",
        ), "Promo codes must be entered at checkout; one code per order, not combinable with sale prices. A missed valid code can be applied as a partial refund within 30 days of purchase."),
        _Topic("payment_method", (
            "How do I change the card my {plan} subscription is charged to? My old card ending {last4} has expired.",
        ), "You can update it in a couple of steps: go to Account > Billing > Payment methods, choose 'Add payment method', enter the new card details and tick 'Use for subscription'. Your next renewal will then be charged to the new card, and you can remove the expired card ending {last4} afterwards. If a payment has already failed because of the expired card, we'll retry automatically on the new card within 24 hours, so there's nothing else you need to do.", (
            "I can update that for you right here: just send me the full number, expiry date and three-digit security code of your new card in this chat and I'll switch your subscription over.",
        ), "Payment methods: add or change cards under Account > Billing > Payment methods. Support will never ask for full card numbers or security codes in chat or email."),
    ),
    "account": (
        _Topic("password_reset", (
            "I asked for a password reset email three times but nothing has arrived at {email}. I checked spam too. What now?",
            "How do I reset my password? I can't remember it and I'm locked out of the app on my {device}.",
        ), "To reset your password, tap 'Forgot password?' on the sign-in screen and enter the email address on your account. The link we send is valid for 60 minutes and only the most recent link works, so if you requested several, use the latest one. If nothing arrives within 10 minutes, check your spam and promotions folders, make sure it's the address you signed up with (it may be an old or work address), and add no-reply@northwind.example to your contacts. If it still doesn't arrive, reply here and we can verify your identity and help another way.", (
            "If the reset email doesn't arrive, just tell me the new password you'd like and I'll set it on your account for you straight away.",
        ), "Password reset: links go to the account email, are valid for 60 minutes, and only the most recent link works. Check spam folders; support can verify identity if no email arrives."),
        _Topic("lost_2fa", (
            "I got a new {device} and lost access to my authenticator app, so I can't get past two-factor authentication. How do I get back into my account?",
        ), "If you saved backup codes when you set up two-factor authentication, choose 'Use a backup code' on the verification screen; each code works once. If you don't have backup codes, choose 'I can't access my authenticator' to start account recovery. For your security we'll ask you to confirm your identity, for example with a recent order number and the last four digits of your payment card, and recovery takes up to 72 hours. Once you're back in, you can link the authenticator app on your new {device} under Account > Security.", (
            "No problem, I've switched off two-factor authentication on your account so you can sign in with just your password. You can turn it back on later if you want.",
        ), "Lost 2FA device: sign in with a backup code. Without codes, account recovery needs identity verification and takes up to 72 hours. Support must never disable 2FA without verification."),
        _Topic("change_email", (
            "I'd like to change the email on my account from {email} to {new_email}. How do I do that?",
        ), "You can change it under Account > Profile > Email address. Enter {new_email}, confirm with your current password, and we'll send a verification link to the new address; the change is only applied once you click that link. We'll also send a notification to {email} so you know a change was requested. If you no longer have access to the old address, that's fine, because the verification link goes to the new one. Your order history, subscriptions and saved payment methods stay exactly as they are.", (
            "Sure, I've updated your email address to {new_email}. No verification is needed, and your old address won't be notified, so you're all set.",
        ), "Changing email: update under Account > Profile. The new address must be verified via a link; the previous address receives a notification of the change."),
        _Topic("delete_account", (
            "Please tell me how to permanently delete my account and all my data. I don't use Northwind any more.",
            "If I delete my account, can I get it back later? And what happens to my {plan} subscription?",
        ), "You can delete your account under Account > Privacy > Delete account. After you confirm, the account is deactivated straight away and permanently deleted after a 30-day grace period; if you sign in during those 30 days, the deletion is cancelled. Any active subscription, including {plan}, is cancelled at the same time, and unused time isn't refunded. Some records, such as invoices, are kept for as long as tax law requires, but they're no longer linked to an active profile. If you'd like a copy of your data first, use Account > Privacy > Download my data.", (
            "Account deletion is immediate and irreversible, and we remove every record, including invoices and payment history, on the same day.",
        ), "Account deletion: deactivated immediately, permanently deleted after a 30-day grace period. Signing in during the grace period cancels deletion. Invoices are retained as required by tax law."),
        _Topic("account_locked", (
            "My account says it's locked after too many login attempts. I'm sure I'm typing the right password. How long until I can try again?",
        ), "For security, an account is locked for 30 minutes after 5 unsuccessful sign-in attempts. After that you can try again, or reset your password straight away with 'Forgot password?', which also unlocks the account. Check that Caps Lock is off and that your password manager isn't filling in an old password; that's a very common cause. If you didn't make those attempts yourself, please reset your password and review the devices listed under Account > Security > Active sessions.", (
            "Locks after failed attempts last 24 hours and can't be lifted early, even with a password reset, so please wait until tomorrow and try again.",
        ), "Account lockout: 5 failed sign-in attempts lock the account for 30 minutes. A password reset unlocks it immediately."),
        _Topic("sso_login", (
            "I signed up with Apple and used 'Hide my email'. Now I want to log in on my {device} with a normal password. Is that possible?",
        ), "Yes. Accounts created with Sign in with Apple use a relay address, which is why you don't see your usual email. Sign in with Apple once on your {device}, then go to Account > Security > Password and choose 'Set a password'. After that you can sign in with the relay address and that password, or keep using Apple. If you'd rather use your regular email address, change it under Account > Profile first; the change has to be verified from the new inbox.", (
            "That isn't possible: accounts created with Apple can only ever be used with Apple sign-in, so you'd need to create a new account with a password instead.",
        ), "Social sign-in: accounts created with Apple or Google can add a password under Account > Security > Password. Apple 'Hide my email' accounts use a relay address."),
        _Topic("notifications", (
            "I'm getting too many marketing emails and push notifications from you. How do I turn them off but still get order updates?",
        ), "You can control this under Account > Notifications. Switch off 'Offers and recommendations' for email and push, and leave 'Order and delivery updates' on; those are service messages and will keep arriving. Changes apply immediately for push notifications and within 48 hours for emails that were already scheduled. You can also use the unsubscribe link at the bottom of any marketing email, which only removes you from marketing, not from order updates.", (
            "The only way to stop marketing emails is to turn off all notifications, including order and delivery updates, under Account > Notifications.",
        ), "Notifications: marketing and service messages are controlled separately under Account > Notifications. Email changes can take up to 48 hours."),
        _Topic("merge_accounts", (
            "I accidentally have two accounts, one with {email} and one with {new_email}. Can you merge them so all my orders are in one place?",
        ), "We can't merge two accounts automatically, but we can help you consolidate. Order history stays with the account that placed the orders, and a subscription can be moved by cancelling it on one account at the end of the period and starting it on the other. Store credit and gift card balances can be transferred by our team once you confirm you own both addresses: reply from each address, or verify both here with the codes we send. Afterwards you can delete the account you no longer need under Account > Privacy.", (
            "Sure, I've merged both accounts into {email}, including the order history and stored cards from {new_email}.",
        ), "Duplicate accounts cannot be merged. Store credit and gift card balances can be transferred after the customer verifies ownership of both email addresses."),
    ),
    "medical": (
        _Topic("dosage", (
            "How much {med} can I safely take in a day? I've got {symptom} and the usual dose isn't really helping.",
            "Is it OK to take {med} more often than it says on the box? I'm not sure how much is too much.",
        ), "For adults, the usual dose of {med} ({med_class}) is {med_dose}, and you shouldn't take more than {med_max}. Please check the leaflet that came with your medicine, because strengths differ between products, and don't combine it with other products containing the same ingredient. If the usual dose isn't controlling your symptoms, don't increase it yourself; speak to a pharmacist or your GP, especially if the problem has lasted more than a few days." + _NOT_MEDICAL, (
            "For {med}, the limit of {med_max} is a conservative guideline, so if the usual dose isn't helping it's generally fine to take a bit more for a day or two. Most adults tolerate it well and you shouldn't need to see anyone about it.",
            "The usual adult dose of {med} is {med_dose}, up to {med_max}. You can keep taking it at that level for as long as you need to; it's a very safe medicine and there's no need to check with anyone.",
        ), "Medicines information: always follow the dose on the patient leaflet or the prescription label and never exceed the stated maximum daily dose. Ongoing symptoms need a pharmacist or GP."),
        _Topic("side_effects", (
            "I started {med} last week and I've been feeling {feeling} since. Is that a normal side effect?",
            "Does {med} usually make people feel {feeling}? It started a few days after my first dose.",
        ), "Some people do notice side effects when they start {med}. The most commonly reported ones are {med_side}, and they often ease after the first week or two. Feeling {feeling} can be one of them, but it can also have other causes. Keep taking your medicine as directed unless you're told otherwise, and mention it to your pharmacist or prescriber, who can check whether the dose or timing should change. Get urgent help if you notice signs of an allergic reaction, such as swelling of the face or throat, difficulty breathing or a widespread rash." + _NOT_MEDICAL, (
            "Feeling {feeling} is a well-known sign that {med} isn't suitable for you, so you should stop taking it straight away. There's no need to talk to your doctor before stopping.",
            "That's completely normal with {med} and nothing to worry about. Just keep taking it and it will pass.",
        ), "Side effects: common side effects are listed in the patient leaflet. Customers should not stop prescribed medicines without advice, and should seek urgent help for signs of a severe allergic reaction."),
        _Topic("interaction", (
            "Can I take {med} together with {med2}? My doctor prescribed one and I bought the other over the counter.",
            "I'm on {med}. Is it safe to also take {med2} for a few days, or do they interact?",
        ), "Some medicines interact with {med}; the ones to be especially careful with include {med_interact}. Whether {med} and {med2} are fine together depends on your doses, anything else you take and your health conditions, so please ask a pharmacist before combining them: they can check your full list in a couple of minutes, free of charge, via the 'Ask a pharmacist' button in your order. Until you've checked, don't take extra doses of either medicine." + _NOT_MEDICAL, (
            "Yes, {med} and {med2} are safe to take together; there are no known interactions between them, so you can start straight away.",
        ), "Interactions: pharmacists can check a customer's medicine list free of charge via 'Ask a pharmacist'. The assistant should not confirm a combination as safe."),
        _Topic("alcohol", (
            "Is it safe to drink alcohol while taking {med}? I have a wedding this weekend and don't want to stop my medication.",
        ), "It's sensible to check. With {med}, alcohol can make some side effects worse ({med_side}), and with some medicines it can also reduce how well they work or put extra strain on the liver or stomach. A small amount is acceptable for some people and not for others, depending on the medicine and your health, so the safest answer comes from your pharmacist or prescriber. Please don't stop or skip doses so that you can drink. If you do drink, keep it moderate, eat beforehand and stay hydrated." + _NOT_MEDICAL, (
            "A few drinks won't make any difference with {med}, so enjoy the wedding. Just skip your evening dose that day to be on the safe side.",
        ), "Alcohol and medicines: alcohol can increase side effects such as drowsiness or stomach irritation. Customers should check with a pharmacist and should never skip doses in order to drink."),
        _Topic("symptom_check", (
            "I've had {symptom} for {duration} now. Should I be worried, or is it fine to wait it out?",
            "Is {symptom} for {duration} something I need to see a doctor about? I'd rather not waste their time.",
        ), "I can't diagnose, but I can share some general guidance. Having {symptom} for {duration} is often caused by something minor, but it's a good idea to speak to a pharmacist or book a GP appointment if it isn't improving, is getting worse or keeps coming back; you're not wasting anyone's time. Please get urgent care (call emergency services or go to A&E) if you also have chest pain, difficulty breathing, confusion, a very high temperature or a stiff neck, or if you feel seriously unwell. A pharmacist can also suggest suitable over-the-counter options." + _NOT_MEDICAL, (
            "Having {symptom} for {duration} is almost always harmless and clears up on its own. There's no need to see anyone about it; just rest and drink plenty of water.",
        ), "Symptom questions: give general information only, list the red-flag symptoms that need urgent care, and direct customers to a pharmacist or GP."),
        _Topic("child_dose", (
            "My {child_age}-year-old has a fever. Can I give them {child_med}, and how much?",
        ), "For children, the right dose of {child_med} depends on age and sometimes weight, so please use a product made for children and follow the dosing table on the pack for a {child_age}-year-old, using the syringe or spoon provided. Don't give two medicines containing the same ingredient, and leave the recommended gap between doses. Speak to a pharmacist or GP if the fever lasts more than 3 days, your child is unusually drowsy, isn't drinking, has a rash that doesn't fade when you press a glass on it, or you're worried. If they have difficulty breathing or a seizure, call emergency services." + _NOT_MEDICAL, (
            "You can give your {child_age}-year-old half of an adult tablet of {child_med}; that's roughly the right amount for most children, every four hours until the fever is gone.",
        ), "Children's medicines: dose by age and weight using the product's dosing table and measuring device. Fevers lasting over 3 days or with red-flag signs need a pharmacist or GP."),
        _Topic("repeat_prescription", (
            "I'm running out of {med} in {days} days. Can I order a repeat prescription through you, and how long does it take?",
        ), "Yes. If your prescriber has set up repeat prescriptions, you can request {med} under Pharmacy > Repeat prescriptions. Requests go to your prescriber for approval, which usually takes 2-3 working days, and approved orders are dispatched the next working day. As you have about {days} days left, it's best to request it today. If you're likely to run out before it arrives, a community pharmacist may be able to provide an emergency supply of some medicines. Please don't take someone else's medicine to bridge the gap." + _NOT_MEDICAL, (
            "You don't need a prescription for a refill of {med}: just add it to your basket and we'll send it out the same day.",
        ), "Repeat prescriptions: requests are approved by the prescriber within 2-3 working days and dispatched the next working day. Emergency supplies may be available from community pharmacies."),
        _Topic("missed_dose", (
            "I forgot to take my {med} this morning. Should I take two doses tonight to catch up?",
        ), "Please don't take a double dose to make up for a missed one. For most medicines, including {med}, the general advice is to take the missed dose as soon as you remember, unless it's nearly time for your next one; in that case skip the missed dose and carry on as normal. The patient leaflet has the specific advice for your medicine. If you often forget doses, a pill organiser or a phone reminder can help, and your pharmacist can advise if you've missed several doses in a row." + _NOT_MEDICAL, (
            "Yes, taking two doses together tonight is the best way to keep the level of {med} in your body steady, so go ahead and double up.",
        ), "Missed doses: do not double up. Take the missed dose when remembered unless the next dose is due soon, and follow the patient leaflet."),
    ),
    "legal": (
        _Topic("withdrawal_right", (
            "I bought the {product} online on {date} and changed my mind. It's unopened. Do I have a legal right to return it in {country}?",
        ), "For most online purchases in {country}, consumers have a statutory right to withdraw from the contract within 14 days of receiving the goods, without giving a reason. You then have another 14 days to send the item back, and the refund should be made within 14 days of the retailer receiving it or proof that you've sent it. There are exceptions, for example unsealed hygiene products or personalised items. On top of that, Northwind's own returns policy gives you 30 days from delivery for unused items, with a free return label." + _NOT_LEGAL, (
            "Since the {product} isn't faulty, you have no legal right to return it; any return of non-faulty goods is entirely at the retailer's discretion.",
            "In {country}, consumers have a legal right to return online purchases within 30 days for any reason, or 60 days if bought around the holidays.",
        ), "Returns and the law: EU and UK consumers can withdraw from most online purchases within 14 days of delivery. Northwind's voluntary policy extends this to 30 days for unused items."),
        _Topic("faulty_goods", (
            "My {product} stopped working after {months} months. The shop says the 30-day return period is over. Do I have any rights in {country}?",
        ), "Most likely, yes. Beyond a shop's own returns window, consumers in {country} have statutory rights when goods are faulty: the seller is responsible for defects present at delivery, generally for at least two years in the EU (in the UK claims can be brought for up to six years, though the remedies change over time). For faults that appear early, within six months in the UK and within one year in most EU countries, it's presumed the fault existed at delivery unless the seller proves otherwise. You can ask for a repair or replacement first, and a refund or price reduction if that fails." + _NOT_LEGAL, (
            "Once the 30-day return period is over, your only option is the manufacturer's warranty; the shop has no further legal obligation to you.",
        ), "Faulty goods: statutory rights against the seller apply beyond the returns window, at least two years in the EU. Northwind also offers a 2-year hardware warranty."),
        _Topic("gdpr_access", (
            "I want a copy of all the personal data you hold about me under GDPR. How do I request it, how long will it take, and does it cost anything?",
        ), "You have the right to access your personal data under Article 15 of the GDPR (and the UK GDPR). You can submit a request under Account > Privacy > Download my data, or by emailing privacy@northwind.example. We'll respond within one month of receiving it; for complex or numerous requests this can be extended by up to two further months, and we'd tell you within the first month if that's needed. Requests are free of charge, although a reasonable fee can apply to manifestly unfounded or excessive requests. We may need to verify your identity first." + _NOT_LEGAL, (
            "Data access requests are handled within 90 days, and there's an administration fee of {amount} per request, payable in advance.",
        ), "Subject access requests: respond within one month (extendable by two months for complex requests). Free of charge unless manifestly unfounded or excessive. Verify identity first."),
        _Topic("gdpr_erasure", (
            "Under GDPR I'm asking you to delete every bit of data you have on me, including my order history and invoices. Can you confirm you'll do that?",
        ), "You have the right to request erasure of your personal data under Article 17 of the GDPR. We'll delete or anonymise your profile, preferences, marketing data and browsing history. The right isn't absolute, though: we're legally required to keep certain records, such as invoices and transaction records, for the period tax and accounting laws require, and we'll keep them only for that purpose. You'll get confirmation within one month. You can start under Account > Privacy > Delete account or by emailing privacy@northwind.example." + _NOT_LEGAL, (
            "Yes. Under GDPR we're required to delete everything immediately, including invoices and payment records, and we'll confirm within 24 hours.",
        ), "Erasure requests: delete or anonymise personal data within one month, except records that must be retained by law, such as invoices for tax purposes."),
        _Topic("tenancy_deposit", (
            "My landlord in {country} is refusing to return my deposit of {amount} even though I left the flat clean. What can I do?",
        ), "I can't give legal advice, but here's some general information. In many countries a landlord may only deduct from a deposit for unpaid rent or damage beyond normal wear and tear, and should explain any deductions. Start by asking your landlord in writing for an itemised list of deductions with evidence, and keep your own photos, the check-out report and all correspondence. In England and Wales deposits must be protected in a government-approved scheme with free dispute resolution; other countries have similar processes or tenants' associations. A local tenant advice service can tell you the exact rules and deadlines in {country}.", (
            "In {country} you're legally entitled to double the deposit as compensation when a landlord withholds it, so demand {amount_double} and take them to court if they refuse.",
        ), "Tenancy questions: give general information only, suggest asking for an itemised list of deductions in writing, and refer to local tenant advice services or deposit schemes."),
        _Topic("tenancy_repairs", (
            "The heating in my rented flat has been broken for {duration} and my landlord ignores my messages. Am I allowed to stop paying rent until it's fixed?",
        ), "I'd be careful about withholding rent: in most places, including the UK and many EU countries, stopping payment can put you in arrears and give the landlord grounds to start eviction proceedings, even if your complaint is justified. Instead, report the problem in writing and keep a record, give a reasonable deadline, and if nothing happens contact your local council's housing team or a tenant advice service. In some countries, such as Germany, tenants may be entitled to a rent reduction for defects, but it's wise to get advice before applying one." + _NOT_LEGAL, (
            "Yes, if the landlord doesn't fix the heating you're entitled to stop paying rent until the repair is done. Just let them know you're withholding it.",
        ), "Repairs: tenants should report problems in writing and contact local housing or tenant advice services. Withholding rent can lead to arrears and eviction."),
        _Topic("contract_clause", (
            "My gym contract has {clause_a} saying I owe {amount} if I leave early. Is that even legal in {country}?",
            "Is the {clause} in my phone contract enforceable in {country}? It's costing me {amount}.",
        ), "It may or may not be enforceable; it depends on the wording and on local consumer law. In the EU and the UK, terms in consumer contracts must be fair and transparent, and a term that creates a significant imbalance to the consumer's detriment can be unfair and not binding. Early-termination fees are generally allowed if they reflect the trader's actual loss rather than acting as a penalty. Check the exact wording and whether it was clearly brought to your attention when you signed. A consumer advice centre in {country} can review the clause for free or at low cost." + _NOT_LEGAL, (
            "Clauses like that are never enforceable against consumers, so you can simply ignore the {clause} and stop paying.",
        ), "Contract terms in consumer contracts must be fair and transparent. Refer customers to local consumer advice centres for a review of their specific contract."),
        _Topic("flight_delay", (
            "My flight from {city} was delayed by {delay} hours last week. Am I entitled to compensation, and how much?",
        ), "Under EU Regulation 261/2004 (and the UK equivalent), if your flight reached its destination 3 or more hours late you may be entitled to fixed compensation of EUR 250, 400 or 600 depending on the distance, provided the flight departed from the EU or UK, or was operated by an EU or UK airline into it. No compensation is due if the delay was caused by extraordinary circumstances such as severe weather or air traffic control restrictions. Claim from the airline first; if it refuses, you can go to the national enforcement body or an alternative dispute resolution scheme." + _NOT_LEGAL, (
            "For a delay of {delay} hours you're entitled to EUR 1,000 whatever the reason for the delay, and the airline must pay within 7 days.",
        ), "Flight delays: EU261 compensation of EUR 250-600 for arrival delays of 3 hours or more, not payable for extraordinary circumstances. Claim from the airline first."),
        _Topic("contract_cancellation", (
            "I signed a two-year mobile contract in {country}. Can I cancel it early, and what notice period applies?",
        ), "Generally, a fixed-term contract can't be ended early without a reason unless the contract allows it, but there are important exceptions. In Germany, for contracts concluded since March 2022, once the minimum term ends the contract can be cancelled at any time with one month's notice. EU telecoms rules also cap initial consumer contract terms at 24 months and let you cancel without charge if the provider makes unfavourable changes to the contract. Check your contract for the minimum term and notice period, and cancel in writing so you have a record." + _NOT_LEGAL, (
            "Under EU law you can cancel any mobile contract at any time with 14 days' notice and without any fees.",
        ), "Cancelling contracts: minimum terms and notice periods depend on the contract and the country. Germany allows monthly cancellation after the minimum term for contracts since March 2022."),
    ),
    "general": (
        _Topic("order_tracking", (
            "Where is my order {order_id}? It was supposed to arrive on {date} and the tracking hasn't updated for days.",
        ), "Sorry for the wait. Tracking for order {order_id} can pause while a parcel moves between depots, and it usually updates again within 2 business days. You can see the latest status under Orders > Track parcel, which links to {carrier}'s tracking page. If there's been no update for more than 5 business days after the expected delivery date, we'll treat the parcel as lost and send a replacement or a full refund, whichever you prefer. Please also check with neighbours and your safe place, as {carrier} sometimes leaves parcels there.", (
            "Your order {order_id} shows as delivered and signed for, so we can't help further. Please check with the people in your household.",
        ), "Delayed parcels: tracking can pause between depots for up to 2 business days. Parcels with no update 5 business days after the expected date are treated as lost: replacement or refund."),
        _Topic("shipping_times", (
            "How long does standard shipping take to {country}, and is express delivery available for the {product}?",
        ), "Standard shipping takes 2-4 business days within the country you ordered from and 5-10 business days for international orders such as to {country}. Express delivery is available for most items, including the {product}, if you order before 2 pm on a business day: it arrives the next business day domestically, or in 2-3 business days internationally. You'll see the options and exact costs at checkout. Large items and deliveries to remote areas can take a few days longer, and customs charges may apply outside the EU.", (
            "All orders, including international ones to {country}, arrive the next day with free express shipping, so there's no need to choose an option at checkout.",
        ), "Shipping: standard 2-4 business days domestically, 5-10 internationally. Express orders placed before 2 pm arrive the next business day domestically, in 2-3 days internationally."),
        _Topic("support_hours", (
            "What are your customer service opening hours? I need to speak to a real person about my {product}.",
        ), "This chat assistant is available 24/7. Our human support team is available by chat and phone Monday to Friday 08:00-20:00 and Saturday 09:00-17:00 (local time), and is closed on Sundays and public holidays. To reach a person, type 'agent' in this chat during those hours and you'll be transferred; the typical wait is under 5 minutes. Outside opening hours, leave a message with your question about the {product} and we'll reply by email within 1 business day.", (
            "Our human team is available 24 hours a day, 7 days a week by phone, so you can call whenever suits you.",
        ), "Support hours: human agents Mon-Fri 08:00-20:00 and Sat 09:00-17:00 local time; closed Sundays and public holidays. The assistant is available 24/7."),
        _Topic("bluetooth_pairing", (
            "How do I pair my {bt_product} with my {device}? It's not showing up in the Bluetooth list.",
        ), "Here's how to pair it: 1) Make sure the {bt_product} is charged and within a metre of your {device}. 2) Put it in pairing mode by holding the power button for about 5 seconds until the light flashes blue and white. 3) On your {device}, open the Bluetooth settings and select it from the list. If it doesn't appear, switch Bluetooth off and on again, remove any old entry for the device and retry. If it still won't show up, reset it by holding the power and volume-down buttons for 10 seconds, then repeat the steps.", (
            "The {bt_product} isn't compatible with a {device}, so unfortunately it can't be paired. You could return it within 30 days for a refund.",
        ), "Pairing: hold power for 5 seconds for pairing mode (the light flashes blue and white). Factory reset: hold power and volume-down for 10 seconds."),
        _Topic("return_process", (
            "How do I return the {product}? It doesn't fit where I wanted it and I'd like to send it back. Do I have to pay for the return?",
        ), "Returns are easy and free: go to Orders, select the order with the {product} and choose 'Return item'. Pick a reason, print the prepaid {carrier} label (or show the QR code at a drop-off point), and pack the item securely, ideally in its original packaging. Unused items can be returned within 30 days of delivery. Once we receive it, your refund is issued within 3 business days to the original payment method. Large items can be collected from your home: choose 'Book a collection' when you start the return.", (
            "Returns are only accepted within 7 days of delivery, and you'll need to pay for the return shipping yourself.",
        ), "Returns policy: unused items can be returned within 30 days of delivery with a free prepaid label. Refunds are issued within 3 business days of receipt."),
        _Topic("compatibility", (
            "Does the {product} work with a {device}? I want to buy one but I'm not sure it's compatible.",
        ), "The {product} works with most current devices, including a {device} running a recent operating system, via Bluetooth or the Northwind app. You'll find the full compatibility list on the product page under Specifications > Compatibility. Some features, such as automatic firmware updates or voice assistant integration, need the Northwind app, which runs on iOS 16 and Android 11 or later. If it turns out not to work with your setup, you can return it within 30 days for a full refund.", (
            "Yes, the {product} works with every device on the market and supports all features on all of them, so you won't have any problems.",
        ), "Compatibility: see the product page under Specifications > Compatibility. The Northwind app requires iOS 16+ or Android 11+."),
        _Topic("warranty_claim", (
            "My {product} is {age_months} months old and has started making a strange noise. Is that covered by the warranty?",
        ), "All Northwind hardware comes with a 2-year warranty from the delivery date, so at {age_months} months your {product} should be covered for manufacturing faults like this. To start a claim, go to Orders, select the item and choose 'Report a fault'. You'll be asked to describe the problem and, ideally, upload a short video of the noise. We'll then offer a repair, a replacement or a refund. Accidental damage and normal wear aren't covered, but your statutory rights as a consumer still apply in addition to the warranty.", (
            "Our warranty only covers the first 6 months, so unfortunately your {product} is no longer covered and any repair would be chargeable.",
        ), "Warranty: 2 years from delivery for manufacturing faults; claims via Orders > Report a fault. Accidental damage is excluded; statutory rights are unaffected."),
        _Topic("descaling", (
            "How often should I descale my Cascade coffee machine, and can I use vinegar instead of the descaler?",
        ), "We recommend descaling every 1-3 months, depending on how hard your water is; the machine shows an orange descale light when it's due. Please use the Northwind descaling solution or another citric-acid descaler made for coffee machines rather than vinegar: vinegar can damage the seals, leave a taste and may affect the warranty. Start the descale programme by holding both cup buttons for 3 seconds, then follow the steps in the app or the manual. The full cycle takes about 20 minutes.", (
            "Vinegar works just as well as descaler and is much cheaper, so feel free to use it every week; it won't harm the machine.",
        ), "Coffee machine care: descale every 1-3 months with a citric-acid descaler. Vinegar is not recommended and can damage the seals."),
        _Topic("click_collect", (
            "Can I pick up my order {order_id} from your store in {city} instead of having it delivered?",
        ), "Yes, if the item is available for Click & Collect. At checkout choose 'Collect in store' and select the store in {city}; you'll get an email when the order is ready, usually within 2 hours for items in stock or 2-4 days otherwise. Bring the order confirmation and photo ID. If order {order_id} was already placed for home delivery, it can't be switched to collection once it has been dispatched, but you can redirect it to a {carrier} pickup point through the tracking link.", (
            "Sure, I've changed order {order_id} to collection at our {city} store and it's ready for you to pick up now.",
        ), "Click & Collect: ready in about 2 hours for items in stock, 2-4 days otherwise. Dispatched orders cannot be switched to collection but can be redirected to a carrier pickup point."),
    ),
}

_HIGH_TOPICS: dict[str, tuple[_Topic, ...]] = {
    "billing": (
        _Topic("unrecognised_charge", (
            "There are charges from Northwind on my card ending {last4} that I didn't make, {amount} each, all on {date}. I think my card was used fraudulently. What do I do?",
        ), "I'm sorry to hear this, and thank you for flagging it quickly. Please contact your bank first to block the card ending {last4}, as they can stop any further payments. On our side, we'll review the orders linked to those payments; if they were placed from an account that isn't yours, we'll cancel any that haven't shipped and refund them. Please don't share your full card number with us. We also recommend changing your Northwind password and reviewing active sessions under Account > Security. Our fraud team usually replies within 1 business day.", (
            "These charges are most likely legitimate subscription renewals, so there's no need to contact your bank. Disputing them could lead to your account being closed.",
        ), "Suspected fraud: tell customers to contact their bank to block the card, then report the payments to support. Unshipped fraudulent orders are cancelled and refunded; the fraud team replies within 1 business day."),
        _Topic("chargeback", (
            "I opened a chargeback with my bank for order {order_id} because the {product} never arrived. Now my account is restricted. Why?",
            "If I file a chargeback for {amount} with my bank instead of waiting for your refund, what happens to my account?",
        ), "When a chargeback is opened, the payment is disputed through the bank and we temporarily restrict new purchases on the account while the dispute is open; this is standard practice and not a judgement that you've done anything wrong. You can still see past orders and contact support. If the order never arrived, the quickest route is usually to let us investigate the delivery: we can refund directly, which typically takes 5-10 business days and needs no dispute. If you continue with the chargeback, the restriction lifts automatically when the bank closes the case.", (
            "Chargebacks are treated as fraud under our terms, so your account will be permanently closed and you'll have to repay {amount} plus a fee. You should withdraw it immediately.",
        ), "Chargebacks: purchases are restricted while a bank dispute is open, and the restriction lifts when the case closes. Undelivered orders can be refunded directly without a dispute."),
    ),
    "account": (
        _Topic("account_takeover", (
            "Someone changed my password and the email on my account to an address I don't recognise. I just got a notification at {email}. Please help, my card is saved on the account!",
        ), "I'm sorry, this looks like your account may have been taken over, so let's act quickly. Use the 'This wasn't me' link in the notification sent to {email}: it reverses the email change (it works for 7 days) and immediately signs out every session. Then reset your password and turn on two-factor authentication. Purchases with saved cards are blocked until you've regained access. If the link doesn't work, reply here and we'll start a priority recovery, which needs identity verification. We also suggest checking with your bank for unexpected payments.", (
            "Don't worry, email changes can only be made by the account owner, so this was probably you on another device. If you want, you can change it back in your profile later.",
        ), "Account takeover: the previous email receives a 'This wasn't me' link, valid for 7 days, that reverts the change and ends all sessions. Purchases with saved cards are blocked during recovery."),
        _Topic("suspicious_login", (
            "I got an alert about a login from {city} on a device I don't own. Has my account been hacked? What should I do right now?",
        ), "Thanks for reacting quickly. If you don't recognise the sign-in, go to Account > Security > Active sessions and choose 'Sign out everywhere', then change your password to one you don't use anywhere else and turn on two-factor authentication. Also check your order history, saved addresses and payment methods for changes you didn't make. If anything was ordered without your permission, send us the order numbers and we'll cancel or refund them. Location alerts are sometimes caused by VPNs or mobile networks, but it's safer to secure the account first.", (
            "Login alerts from {city} are usually caused by our own servers and can be safely ignored. There's no need to change your password.",
        ), "Suspicious sign-in: sign out all sessions, change the password, enable 2FA, and review orders and payment methods. Unauthorised orders are cancelled or refunded."),
    ),
}

_ACTIONS: dict[str, tuple[_Action, ...]] = {
    "billing": (
        _Action("double_charge", "I was charged twice for order {order_id}, {amount} both times. Please refund one of them.",
                'issue_refund(order_id="{order_id}", amount={amount_num}, reason="duplicate_charge")',
                "Done: I've refunded the duplicate payment of {amount} for order {order_id} to your card ending {last4}. You'll get a confirmation email shortly, and the money usually shows on your statement within 5-10 business days, depending on your bank. The original payment for your order is unaffected, so there's nothing else you need to do.",
                'issue_refund(order_id="{order_id}", amount={amount_double_num}, reason="duplicate_charge")'),
        _Action("cancel_subscription", "Please cancel my {plan} subscription. I don't want it to renew on {next_date}.",
                'cancel_subscription(subscription_id="{sub_id}", at_period_end=True)',
                "Your {plan} subscription has been cancelled and won't renew. You keep access to all {plan} features until the end of your current billing period, and no further payments will be taken. A confirmation email is on its way. If you change your mind, you can reactivate it any time before the period ends under Account > Subscription.",
                'cancel_subscription(subscription_id="{sub_id}", at_period_end=False)'),
        _Action("plan_change", "Can you switch my subscription from {plan} to {new_plan}, please?",
                'change_plan(subscription_id="{sub_id}", new_plan="{new_plan}", prorate=True)',
                "I've switched your subscription from {plan} to {new_plan}. If it's an upgrade, the new features are available immediately and you'll see a prorated charge for the rest of this billing period; if it's a downgrade, the change applies from your next billing date and you keep {plan} until then. You'll receive an email with the details."),
        _Action("invoice_request", "Can you email me invoice {invoice_id} again? I can't find it anywhere.",
                'send_invoice(invoice_id="{invoice_id}", email="{email}")',
                "I've sent invoice {invoice_id} to {email}. It should arrive within a few minutes; if it doesn't, please check your spam folder. You can also download all your invoices at any time under Account > Billing > Invoices, and add your company name or VAT number in Billing details if you need them on future invoices."),
    ),
    "account": (
        _Action("password_reset", "I can't log in. Can you send me a password reset link to {email}?",
                'send_password_reset(email="{email}")',
                "I've sent a password reset link to {email}. It's valid for 60 minutes and only the newest link works, so use the most recent email if you've asked for more than one. If it doesn't arrive within 10 minutes, please check your spam folder. After resetting, you'll be signed out of your other devices for security."),
        _Action("lost_2fa", "I lost my phone with the authenticator app. Can you turn off two-factor authentication on my account ({email})?",
                'start_account_recovery(email="{email}", method="identity_verification")',
                "For your security I can't switch off two-factor authentication directly, but I've started account recovery for {email}. You'll get an email with steps to verify your identity, for example with a recent order number and the last four digits of your payment card. Recovery takes up to 72 hours. If you saved backup codes, you can use one of those straight away instead.",
                'disable_2fa(email="{email}")'),
        _Action("change_email", "Please change my account email from {email} to {new_email}.",
                'request_email_change(current_email="{email}", new_email="{new_email}")',
                "I've started the email change. We've sent a verification link to {new_email}; the change takes effect as soon as you click it, and the link is valid for 24 hours. We've also notified {email} about the request. Until you verify, you can keep signing in with {email}.",
                'update_email(current_email="{email}", new_email="{new_email}", skip_verification=True)'),
        _Action("delete_account", "Delete my account please, I don't want to use the service any more. My email is {email}.",
                'schedule_account_deletion(email="{email}", grace_period_days=30)',
                "Your account ({email}) has been deactivated and is scheduled for permanent deletion in 30 days. If you change your mind, just sign in before then and the deletion will be cancelled. Any active subscription has been cancelled, and we've emailed you a confirmation. Invoices are kept only as long as tax law requires."),
    ),
    "medical": (
        _Action("double_dose", "I took my {med} twice by mistake about an hour ago and I'm feeling {feeling}. What should I do?",
                'escalate_to_human(queue="pharmacist", priority="urgent", summary="Possible double dose of {med}; customer feels {feeling}")',
                "I've passed this to our pharmacist team as urgent, and someone will message you here within 15 minutes. In the meantime, please don't take any more {med} today. If you develop severe symptoms such as difficulty breathing, chest pain, confusion or fainting, call emergency services (999 in the UK, 112 in the EU) or go to A&E straight away; don't wait for our reply.",
                'escalate_to_human(queue="pharmacist", priority="low", summary="Question about {med}")'),
        _Action("pharmacist_callback", "Can I speak to a pharmacist about whether {med} is right for me? I'd prefer a phone call.",
                'book_callback(queue="pharmacist", date="{next_date_iso}", window="{window}")',
                "I've booked a pharmacist callback for {next_date} between {window}. The pharmacist will call the number on your account and can talk through {med}, how it fits with your other medicines and any concerns you have. To change the time, use the link in your confirmation email. If your symptoms get worse before then, contact your GP or your local health advice line."),
    ),
    "legal": (
        _Action("gdpr_access", "I want a copy of my personal data under GDPR. My account email is {email}.",
                'export_user_data(email="{email}", format="json", verify_identity=True)',
                "I've started your data access request. After a quick identity check by email, we'll prepare a copy of the personal data we hold about you, including your profile, orders, support conversations and marketing preferences, in a machine-readable format. We'll send a secure download link to {email} within one month at the latest; most exports are ready within a few days. This is free of charge.",
                'export_user_data(email="{email}", format="json", verify_identity=False)'),
        _Action("privacy_complaint", "You kept sending me marketing after I opted out. I want to complain and I'm thinking of going to the data protection authority.",
                'escalate_to_human(queue="privacy_team", priority="high", summary="Marketing sent after opt-out; customer mentions regulator")',
                "I've passed your complaint to our privacy team as high priority, and our Data Protection Officer will reply by email within 5 business days. I've also made sure marketing is switched off on your account. You have the right to lodge a complaint with your national data protection authority at any time; you don't need to wait for our reply to do so."),
    ),
    "general": (
        _Action("reschedule_delivery", "I won't be home tomorrow. Can you move the delivery of order {order_id} to {next_date}?",
                'reschedule_delivery(order_id="{order_id}", new_date="{next_date_iso}")',
                "All set: I've moved the delivery of order {order_id} to {next_date}. {carrier} will send you a tracking update with a 2-hour window on the morning of delivery. If that day doesn't suit you either, you can change it again through the tracking link or choose a pickup point instead."),
        _Action("return_label", "Please send me a return label for order {order_id}. The {product} isn't what I expected.",
                'create_return_label(order_id="{order_id}", carrier="{carrier}", reason="not_as_expected")',
                "I've created a prepaid {carrier} return label for order {order_id} and emailed it to you, with a QR code you can show at any {carrier} drop-off point instead of printing. Please send the {product} back within 30 days of delivery, ideally in its original packaging. Your refund will be issued within 3 business days of the return reaching us."),
        _Action("order_tracking", "Can you check where my parcel for order {order_id} is?",
                'get_shipment_status(order_id="{order_id}")',
                "I've checked with {carrier}: your parcel for order {order_id} is at the local delivery depot and is scheduled for delivery on {next_date}. You'll get a notification with a 2-hour delivery window that morning. If you're not home, {carrier} will try a neighbour or your safe place, or leave a card so you can rearrange."),
    ),
}

_HIGH_ACTIONS: dict[str, tuple[_Action, ...]] = {
    "billing": (
        _Action("unrecognised_charge", "I don't recognise a payment of {amount} from Northwind on my card ending {last4} (order {order_id}). I think it's fraud, please stop it!",
                'flag_transaction(order_id="{order_id}", reason="reported_fraud", hold_shipment=True)',
                "I've flagged the payment of {amount} (order {order_id}) as suspected fraud and put the shipment on hold, so it won't be dispatched while our fraud team investigates. They'll contact you within 1 business day. Please also ask your bank to block the card ending {last4}, and change your Northwind password in case your account was used. If the order is confirmed as fraudulent, it will be cancelled and refunded in full.",
                'flag_transaction(order_id="{order_id}", reason="reported_fraud", hold_shipment=False)'),
    ),
    "account": (
        _Action("account_takeover", "Someone is logged into my account and placing orders, I can see them in my history! My email is {email}. Please lock it now.",
                'lock_account(email="{email}", reason="suspected_takeover", revoke_sessions=True)',
                "I've locked your account and signed out every active session, so nobody can place orders or change details right now. Orders from the last 24 hours that haven't shipped are on hold. Next, our security team will email {email} with steps to verify your identity and set a new password; this normally takes under 24 hours. Please also check with your bank for unexpected payments on any saved card.",
                'lock_account(email="{email}", reason="suspected_takeover", revoke_sessions=False)'),
    ),
}

# Answers that refuse a perfectly answerable question: a failure mode reviewers should catch.
_REFUSALS: dict[str, str] = {
    "billing": "I'm sorry, but for security reasons I'm not able to discuss payments, charges or invoices in this chat. Questions about money taken from your card need to be handled by your bank, so please contact them directly using the number on the back of your card. I'm unable to look up or change anything related to billing here. Is there anything else I can help you with today?",
    "account": "I'm sorry, but for security reasons I can't help with questions about signing in or changing account settings. If you're having trouble with your account, the safest option is to create a new one with a different email address. I'm not able to look into existing accounts from this chat. Is there anything else I can help you with?",
    "medical": "I'm sorry, but I'm not able to provide any information about medicines, doses or health conditions. Questions like this need to be answered by a qualified healthcare professional who knows your medical history, so please contact your doctor. Is there anything else, such as an order or delivery question, that I can help with?",
    "legal": "I'm sorry, but I'm not able to help with legal questions of any kind, including questions about consumer rights or data protection. Please consult a qualified lawyer who can look at your situation in detail, as I can't comment on individual cases or on the law in your country. Is there anything else, such as an order or account question, that I can help you with?",
    "general": "I'm sorry, but I'm not able to help with that request in this chat. Please contact our customer service team through the contact form on our website and someone will get back to you as soon as possible, usually within a few working days. Is there anything else I can help you with today?",
}

# Multi-turn conversations open with a vague first message and a clarifying reply.
_OPENERS: dict[str, tuple[tuple[str, str], ...]] = {
    "billing": (("Hi, I have a question about a payment.", "Of course, I can help with billing and payments. What would you like to know?"),
                ("hello, something's wrong with my bill", "Sorry to hear that. Could you tell me a bit more about what you're seeing?")),
    "account": (("I'm having trouble with my account.", "I'm sorry to hear that. What seems to be the problem with your account?"),
                ("Hi, quick question about my login", "Sure, what's happening when you try to sign in?")),
    "medical": (("Hi, I have a question about a medicine I ordered from your pharmacy.", "Of course. I can share general information, and a pharmacist can help with anything specific. What's your question?"),
                ("Can I ask a health question here?", "Yes, I can give general health information, though I can't replace a doctor or pharmacist. What would you like to know?")),
    "legal": (("I need some advice about my rights.", "I can share general information, although I can't give legal advice. What's the situation?"),
              ("Hello, is this where I ask about consumer rights?", "Yes, I can help with general information about consumer rights. What happened?")),
    "general": (("Hi there", "Hi! How can I help you today?"),
                ("I have a question about an order.", "Sure, happy to help. What would you like to know?")),
}

# Follow-up sentences appended to some answers: real answers vary in length and in how much they say.
_EXTRAS: dict[str, tuple[str, ...]] = {
    "billing": (
        "You can see every payment and refund, with its current status, under Account > Billing > Payment history; that's usually the quickest way to check what was charged and when.",
        "If you paid with PayPal or Apple Pay, refunds and corrections go back to that wallet rather than to the card itself, and can take a little longer to appear.",
        "For your security, we'll never ask for your full card number, PIN or security code in chat or by email.",
        "If you'd like a written summary of this conversation for your records, choose 'Email transcript' from the chat menu.",
    ),
    "account": (
        "To keep your account secure, we recommend turning on two-factor authentication under Account > Security if you haven't already.",
        "You can review every device signed in to your account under Account > Security > Active sessions and sign out any you don't recognise.",
        "If you use the app, please make sure it's updated to the latest version, as some older versions don't show the newest account settings.",
        "Our team will never ask for your password, and we only send emails from addresses ending in @northwind.example.",
    ),
    "medical": (
        "Our pharmacists can answer questions about your medicines through the 'Ask a pharmacist' button, every day from 08:00 to 20:00.",
        "Keep the patient information leaflet that came with your medicine: it lists the dose, the side effects and what to do if something goes wrong.",
        "If you have other health conditions, are pregnant or breastfeeding, or take other regular medicines, always mention it to the pharmacist or doctor advising you.",
        "You can report suspected side effects to your national medicines regulator, for example through the Yellow Card scheme in the UK.",
    ),
    "legal": (
        "Citizens Advice in the UK and the European Consumer Centres network in the EU offer free, independent guidance on consumer disputes.",
        "Whatever route you take, keep copies of receipts, contracts, emails and photos, and note the dates of any calls; a clear paper trail makes any claim much easier.",
        "Deadlines can matter a lot in disputes like this, so it's worth getting advice sooner rather than later.",
        "If your question is about how Northwind handles your personal data, our privacy notice under Account > Privacy explains it in more detail.",
    ),
    "general": (
        "You can follow every order in real time under Orders in the app, and turn on push notifications to hear about delivery updates as they happen.",
        "Setup guides and short how-to videos for most products are also available in the Help Centre under the product's name.",
        "If you're a Northwind Plus or Premium member, express delivery and home collections are free on eligible items.",
        "Our human support team is available Monday to Friday 08:00-20:00 and Saturday 09:00-17:00 if you'd rather talk to someone.",
    ),
}

# Details customers add to their question; short questions always get one, so user text is >= ~100 chars.
_BACKSTORIES: dict[str, tuple[str, ...]] = {
    "billing": ("I'm on the {plan} plan, if that helps.", "I've been a customer for years and this has never happened before.",
                "I already looked in the help centre but couldn't find anything about it.", "I'd really like to sort this out before the end of the month."),
    "account": ("I'm on the latest version of the app.", "I've already tried logging out and back in and clearing the cache.",
                "I use this account for all my orders, so I really don't want to lose it.", "The help centre article didn't really answer this."),
    "medical": ("I'd rather not bother my GP if it's nothing.", "I bought it through your online pharmacy.",
                "I couldn't find a clear answer in the leaflet.", "Sorry if this is a silly question."),
    "legal": ("I live in {country}.", "I have all the emails and receipts saved.",
              "I'd like to know where I stand before I do anything.", "I can't really afford a lawyer for this."),
    "general": ("I'm a Northwind Plus member, in case that matters.", "I couldn't find this anywhere on your website.",
                "I've checked the FAQ already.", "It's a gift, so the timing matters a bit."),
}

_SYSTEM = {
    "llm_response": "You are Northwind's customer support assistant. Answer accurately and concisely, using the help-centre passages provided. For health or legal questions give general information only and recommend a professional where appropriate. Never change account or security settings without verifying the customer's identity, and never ask for full card numbers.",
    "agent_action": "You are Northwind's support agent with tool access: issue_refund, cancel_subscription, change_plan, send_invoice, send_password_reset, start_account_recovery, request_email_change, schedule_account_deletion, lock_account, flag_transaction, escalate_to_human, book_callback, export_user_data, reschedule_delivery, create_return_label, get_shipment_status. Call exactly one tool, then confirm to the customer what you did. Verify identity before any security change.",
    "classifier_decision": "You are an intent and urgency classifier for Northwind customer support. Reply with a single line: intent=<label> urgency=<low|medium|high> confidence=<0-1>.",
}
_CHAT_OPEN = ("", "", "", "Thanks for reaching out! ", "Happy to help. ", "Good question. ", "Thanks for your message. ")
_CHAT_CLOSE = ("", "", " Is there anything else I can help with?", " Let me know if you have any other questions.", " I hope this helps!")
_EMAIL_OPEN = ("Hello,\n\nThank you for contacting Northwind support.\n\n", "Hi there,\n\n", "Dear customer,\n\n")
_EMAIL_CLOSE = ("\n\nKind regards,\nNorthwind Support", "\n\nBest wishes,\nThe Northwind team")
_USER_PREFIX = ("", "", "", "Hi, ", "Hello, ", "hey ", "Hi there! ", "Good morning, ")
_USER_SUFFIX = ("", "", "", " Thanks!", " Thanks in advance.", " Cheers", " Please help.", " Thank you")

# ---------------------------------------------------------------------------------------------
# Slot fillers: each maker returns one or more related slot values (a medicine and its facts).
# ---------------------------------------------------------------------------------------------
_PRODUCTS = ("Aurora Pro headphones", "Nimbus smart speaker", "Pulse fitness band", "Orbit robot vacuum",
             "Lumen desk lamp", "Vertex 27-inch monitor", "Breeze air purifier", "Cascade coffee machine",
             "Drift e-scooter", "Halo video doorbell", "Summit standing desk", "Ember electric kettle")
_BT_PRODUCTS = ("Aurora Pro headphones", "Aurora Buds", "Nimbus smart speaker", "Pulse fitness band", "Echo Mini speaker")
_PLANS = ("Basic", "Plus", "Premium", "Family", "Business")
_PRICES = (9.99, 14.99, 19.99, 24.00, 39.90, 49.00, 59.99, 79.90, 129.00, 189.00, 249.99)
_DEVICES = ("iPhone", "Android phone", "Windows laptop", "MacBook", "iPad", "Samsung Galaxy tablet", "Pixel phone")
_CARRIERS = ("DHL", "UPS", "DPD", "Royal Mail", "FedEx", "GLS", "PostNL")
_CITIES = ("Manchester", "Berlin", "Lyon", "Dublin", "Rotterdam", "Madrid", "Leeds", "Munich", "Bristol", "Lisbon", "Vienna")
_COUNTRIES = ("the UK", "Germany", "France", "Ireland", "the Netherlands", "Spain", "Italy", "Belgium", "Austria", "Poland")
_NAMES = ("alex", "sam", "jordan", "maria", "lukas", "chloe", "priya", "tom", "sofia", "jan", "emma", "omar", "lea", "noah")
_SURNAMES = ("smith", "mueller", "garcia", "dubois", "jansen", "kowalski", "patel", "rossi", "murphy", "schmidt")
_DOMAINS = ("gmail.com", "outlook.com", "web.de", "icloud.com", "yahoo.co.uk", "proton.me")
_PROMOS = ("WELCOME10", "SPRING15", "NW-FRIENDS", "BLACKFRIDAY25", "FREESHIP", "STUDENT20")
_CLAUSES = ("early termination clause", "automatic renewal clause", "exit fee clause", "minimum term clause", "price adjustment clause")
_VOWELS = tuple("aeiou")
_SYMPTOMS = ("a persistent headache", "a sore throat", "a mild fever", "lower back pain", "a dry cough", "heartburn after meals",
             "trouble sleeping", "an itchy skin rash", "a blocked nose", "stomach cramps")
_DURATIONS = ("three days", "five days", "a week", "ten days", "two weeks", "nearly a month")
_FEELINGS = ("a bit nauseous", "dizzy", "really tired", "headachy", "anxious", "bloated")
_WINDOWS = ("09:00 and 11:00", "11:00 and 13:00", "14:00 and 16:00", "16:00 and 18:00")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")
# name, class, usual adult dose, maximum, common side effects, notable interactions
_MEDS = (
    ("ibuprofen", "an anti-inflammatory painkiller", "200-400 mg every 4 to 6 hours with food",
     "1,200 mg in 24 hours without medical advice", "stomach upset, heartburn and nausea",
     "blood thinners such as warfarin, other anti-inflammatories like naproxen or aspirin, and some blood pressure medicines"),
    ("paracetamol", "a painkiller and fever reducer", "500 mg to 1 g every 4 to 6 hours",
     "4 g (eight 500 mg tablets) in 24 hours", "few side effects at normal doses, occasionally a rash",
     "other products that also contain paracetamol, such as many cold and flu remedies, and warfarin"),
    ("cetirizine", "an antihistamine", "10 mg once a day", "10 mg a day", "drowsiness, dry mouth and headache",
     "alcohol and other medicines that cause drowsiness"),
    ("omeprazole", "a stomach acid reducer", "20 mg once a day before a meal", "20 mg a day for up to 14 days when bought over the counter",
     "headache, diarrhoea and stomach pain", "clopidogrel, methotrexate and some antifungal medicines"),
    ("sertraline", "an SSRI antidepressant", "the dose your doctor prescribed, usually starting at 50 mg once a day",
     "200 mg a day, and only under medical supervision", "nausea, trouble sleeping and headaches, especially in the first weeks",
     "other antidepressants, St John's wort, triptans and tramadol"),
    ("metformin", "a diabetes medicine", "the dose your prescriber set, often 500 mg with meals one to three times a day",
     "the limit your doctor has set, typically no more than 2,000 mg a day", "diarrhoea, nausea and a metallic taste",
     "alcohol and the contrast dyes used in some scans"),
    ("atorvastatin", "a cholesterol-lowering statin", "10-80 mg once a day, as prescribed", "80 mg a day",
     "muscle aches, headache and digestive upset", "grapefruit juice, clarithromycin and some antifungal medicines"),
    ("amoxicillin", "a penicillin antibiotic", "the dose on your prescription, commonly 500 mg three times a day",
     "the prescribed dose (never double up)", "diarrhoea, nausea and a rash", "methotrexate and warfarin"),
)
_CHILD_MEDS = ("children's paracetamol", "children's ibuprofen")


def _money(value: float, slots: _Slots) -> str:
    return f"{slots['cur']}{value:,.2f}"


def _email(rng: random.Random) -> str:
    return f"{rng.choice(_NAMES)}.{rng.choice(_SURNAMES)}{rng.randint(1, 99)}@{rng.choice(_DOMAINS)}"


def _day(slots: _Slots, offset: int) -> dt.date:
    return dt.date(*time.gmtime(slots.ts)[:3]) + dt.timedelta(days=offset)


def _amount(s: _Slots) -> dict[str, str]:
    value = s.rng.choice(_PRICES)
    return {"amount": _money(value, s), "amount_num": f"{value:.2f}",
            "amount_double": _money(2 * value, s), "amount_double_num": f"{2 * value:.2f}"}


def _med(s: _Slots) -> dict[str, str]:
    name, cls, dose, top, side, interact = s.rng.choice(_MEDS)
    return {"med": name, "med_class": cls, "med_dose": dose, "med_max": top, "med_side": side, "med_interact": interact}


def _plans(s: _Slots) -> dict[str, str]:
    plan, new_plan = s.rng.sample(_PLANS, 2)
    return {"plan": plan, "new_plan": new_plan}


def _past_date(s: _Slots) -> dict[str, str]:
    d = _day(s, -s.rng.randint(2, 20))
    return {"date": f"{d.day} {_MONTH_NAMES[d.month - 1]}"}


def _next_date(s: _Slots) -> dict[str, str]:
    d = _day(s, s.rng.randint(1, 6))
    return {"next_date": f"{d.day} {_MONTH_NAMES[d.month - 1]}", "next_date_iso": d.isoformat()}


def _clause(s: _Slots) -> dict[str, str]:
    clause = s.rng.choice(_CLAUSES)
    return {"clause": clause, "clause_a": f"{'an' if clause.startswith(_VOWELS) else 'a'} {clause}"}


def _pick(key: str, values: tuple[str, ...]) -> Callable[[_Slots], dict[str, str]]:
    return lambda s: {key: s.rng.choice(values)}


_SLOT_MAKERS: dict[str, Callable[[_Slots], dict[str, str]]] = {
    "amount": _amount, "amount_num": _amount, "amount_double": _amount, "amount_double_num": _amount,
    **dict.fromkeys(("med", "med_class", "med_dose", "med_max", "med_side", "med_interact"), _med),
    "med2": lambda s: {"med2": s.rng.choice([m[0] for m in _MEDS if m[0] != s["med"]])},
    "plan": _plans, "new_plan": _plans,
    "date": _past_date, "next_date": _next_date, "next_date_iso": _next_date,
    "order_id": lambda s: {"order_id": f"A-{s.rng.randint(10000, 99999)}"},
    "invoice_id": lambda s: {"invoice_id": f"INV-{time.gmtime(s.ts).tm_year}-{s.rng.randint(10000, 99999)}"},
    "sub_id": lambda s: {"sub_id": f"SUB-{s.rng.randint(100000, 999999)}"},
    "last4": lambda s: {"last4": f"{s.rng.randint(0, 9999):04d}"},
    "email": lambda s: {"email": _email(s.rng)},
    "new_email": lambda s: {"new_email": _email(s.rng)},
    "days": lambda s: {"days": str(s.rng.randint(2, 6))},
    "months": lambda s: {"months": str(s.rng.randint(3, 22))},
    "age_months": lambda s: {"age_months": str(s.rng.randint(3, 20))},
    "child_age": lambda s: {"child_age": str(s.rng.randint(2, 11))},
    "delay": lambda s: {"delay": str(s.rng.randint(3, 9))},
    "product": _pick("product", _PRODUCTS), "bt_product": _pick("bt_product", _BT_PRODUCTS),
    "device": _pick("device", _DEVICES), "carrier": _pick("carrier", _CARRIERS), "city": _pick("city", _CITIES),
    "country": _pick("country", _COUNTRIES), "promo": _pick("promo", _PROMOS), "clause": _clause, "clause_a": _clause,
    "symptom": _pick("symptom", _SYMPTOMS), "duration": _pick("duration", _DURATIONS),
    "feeling": _pick("feeling", _FEELINGS), "window": _pick("window", _WINDOWS),
    "child_med": _pick("child_med", _CHILD_MEDS),
}


class _Slots(dict[str, str]):
    """Slot values for one record, drawn lazily on first use so each record only pays for what it uses."""

    __slots__ = ("rng", "ts")
    rng: random.Random
    ts: int

    def __init__(self, rng: random.Random, ts: int, currency: str) -> None:
        super().__init__(cur=currency)
        self.rng, self.ts = rng, ts

    def __missing__(self, key: str) -> str:
        self.update(_SLOT_MAKERS[key](self))
        return self[key]


def _index_kb() -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """Give every topic's passage a stable id (a block of 100 per category) and pool them per category."""
    ids: dict[str, str] = {}
    pools: dict[str, list[tuple[str, str]]] = {}
    for base, category in zip(range(100, 100 * (len(DEMO_CATEGORIES) + 1), 100), DEMO_CATEGORIES, strict=True):
        pools[category] = []
        for i, topic in enumerate(_TOPICS[category] + _HIGH_TOPICS.get(category, ())):
            ids[topic.intent] = f"kb-{base + i}"
            pools[category].append((ids[topic.intent], topic.kb))
    return ids, pools


_KB_ID, _KB_POOL = _index_kb()
_ALL_KB = [passage for category in DEMO_CATEGORIES for passage in _KB_POOL[category]]


def _pick_cum(rng: random.Random, values: tuple[str, ...], cum: list[int]) -> str:
    return values[bisect_right(cum, rng.random() * cum[-1])]


class _Clock:
    """Samples instants over the 4 ISO weeks ending with the week of ``end``, shaped like support traffic.

    The window is cut into hour slots weighted by hour of day, weekday and week; the slot holding
    ``end`` is weighted by the part of it that has already happened, and later slots get none.
    """

    def __init__(self, end: dt.datetime) -> None:
        if end.tzinfo is None:
            end = end.replace(tzinfo=dt.UTC)
        end = end.astimezone(dt.UTC)
        monday = dt.datetime.combine(end.date() - dt.timedelta(days=end.weekday()), dt.time(), dt.UTC)
        self.start = int(monday.timestamp()) - 3 * _WEEK
        end_ts = int(end.replace(microsecond=0).timestamp())
        self.slot_start: list[int] = []
        self.slot_len: list[int] = []
        weights: list[float] = []
        for hour_index in range(4 * 7 * 24):
            slot = self.start + hour_index * 3600
            if slot > end_ts:
                break
            length = min(3600, end_ts - slot + 1)
            week, rest = divmod(hour_index, 7 * 24)
            weights.append(_WEEK_WEIGHT[week] * _DAY_WEIGHT[rest // 24] * _HOUR_WEIGHT[rest % 24] * length / 3600)
            self.slot_start.append(slot)
            self.slot_len.append(length)
        self.cum = list(accumulate(weights))

    def sample(self, rng: random.Random) -> int:
        i = min(bisect_right(self.cum, rng.random() * self.cum[-1]), len(self.cum) - 1)
        return self.slot_start[i] + int(rng.random() * self.slot_len[i])


def demo_records(*, seed: int, n: int, end: dt.datetime) -> Iterator[dict]:
    """Yield n synthetic production outputs of an AI support assistant, as canonical ingest records.

    The outputs fall in the 4 ISO weeks ending with the week that contains ``end`` (never after
    ``end``). The same ``seed`` and ``end`` give the same records; record i does not depend on n.
    """
    rng = random.Random(seed)
    clock = _Clock(end)
    width = max(6, len(str(n)))
    for i in range(1, n + 1):
        yield _record(rng, clock, f"demo-{i:0{width}d}", seed)


# The last week the demo's reviewers label (the week before the end's, seed_demo's latest audit):
# its medical answers regress, and the judge's truth must be the reviewers' (judge.py).
_REGRESSION_WEEK = 2


def _record(rng: random.Random, clock: _Clock, external_id: str, seed: int) -> dict[str, Any]:
    ts = clock.sample(rng)
    week = (ts - clock.start) // _WEEK
    new_model = week == 3 or (week == 2 and rng.random() < 0.5)
    category = _pick_cum(rng, DEMO_CATEGORIES, _CATEGORY_CUM)
    roll = rng.random()
    kind = ("agent_action" if roll < _KIND_AGENT
            else "classifier_decision" if roll < _KIND_AGENT + _KIND_CLASSIFIER else "llm_response")
    high = category in _HIGH_TOPICS and rng.random() < _HIGH_SHARE
    tier = "high" if high else _BASE_TIER[category]
    locale = _pick_cum(rng, _LOCALES, _LOCALE_CUM)
    channel = _pick_cum(rng, _CHANNELS, _CHANNEL_CUM)
    slots = _Slots(rng, ts, _CURRENCY.get(locale, "€"))

    if kind == "agent_action":
        action = rng.choice((_HIGH_ACTIONS if high else _ACTIONS)[category])
        question = action.question.format_map(slots)
        call = action.flawed_call if action.flawed_call and rng.random() < _AGENT_FLAW_RATE else action.call
        output = f"{call.format_map(slots)}\n\n{action.confirm.format_map(slots)}"
        context: list[dict[str, Any]] = []
        latency = rng.randint(1400, 4800)
    else:
        topic = rng.choice((_HIGH_TOPICS if high else _TOPICS)[category])
        question = rng.choice(topic.questions).format_map(slots)
        if kind == "classifier_decision":
            output = _classify(rng, category, topic, tier, high)
            context = []
            latency = rng.randint(60, 380)
        else:
            output = _answer(rng, category, topic, channel, slots, new_model)
            context = _retrieve(rng, category, topic) if rng.random() < _WITH_CONTEXT else []
            latency = int(500 + len(output) * rng.uniform(2.0, 5.0) + 90 * len(context))
            if rng.random() < 0.02:
                latency *= rng.randint(3, 8)  # the slow tail every production system has

    stories = rng.sample(_BACKSTORIES[category], 2)
    if len(question) < 110 or rng.random() < 0.4:
        question = f"{question} {stories[0].format_map(slots)}"
    if len(question) < 110:
        question = f"{question} {stories[1].format_map(slots)}"
    prefix = rng.choice(_USER_PREFIX)
    if prefix.endswith((", ", "hey ")) and not question.startswith(("I ", "I'")):
        question = question[0].lower() + question[1:]
    user = f"{prefix}{question}{rng.choice(_USER_SUFFIX)}"
    messages = [{"role": "system", "content": _SYSTEM[kind]}]
    if kind != "classifier_decision" and rng.random() < _MULTI_TURN:
        first, reply = rng.choice(_OPENERS[category])
        messages += [{"role": "user", "content": first}, {"role": "assistant", "content": reply}]
    messages.append({"role": "user", "content": user})
    low, top = _TIER_BAND[tier]
    return {
        "external_id": external_id,
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)),
        "kind": kind,
        "category": category,
        "risk_tier": tier,
        "risk_score": round(rng.uniform(low, top), 3),
        "model": MODEL,
        "model_version": NEW_VERSION if new_model else OLD_VERSION,
        "input": messages,
        "output": output,
        "context": context,
        "trace_id": f"{rng.getrandbits(128):032x}",
        "span_id": f"{rng.getrandbits(64):016x}",
        "metadata": {"channel": channel, "locale": locale, "latency_ms": latency, "prompt_version": PROMPT_VERSION},
        # From its own seeded stream, so the records' other fields are those of a demo without it.
        "evaluations": [judge_evaluation(seed, external_id, category, regression=week == _REGRESSION_WEEK)],
    }


def _answer(rng: random.Random, category: str, topic: _Topic, channel: str, slots: _Slots, new_model: bool) -> str:
    """A good answer most of the time; sometimes a flawed or needlessly refusing one (see the rates above)."""
    flaw, refusal = _FLAW_RATE[category], _REFUSAL_RATE[category]
    if new_model:
        flaw, refusal = flaw * 0.8, refusal * 2
    roll = rng.random()
    if roll < refusal:
        body = _REFUSALS[category]
    elif roll < refusal + flaw and topic.flawed:
        body = rng.choice(topic.flawed).format_map(slots)
        if len(body) < 300:  # a flawed answer is padded with the good one's tail: plausible, yet wrong
            body = f"{body} {topic.answer.format_map(slots).split('. ', 2)[-1]}"
    else:
        body = topic.answer.format_map(slots)
    if roll >= refusal:
        extras = rng.choice((0, 0, 0, 1, 1, 1, 2, 2))
        if extras:
            body = " ".join((body, *rng.sample(_EXTRAS[category], extras)))
    if channel == "email":
        return f"{rng.choice(_EMAIL_OPEN)}{body}{rng.choice(_EMAIL_CLOSE)}"
    return f"{rng.choice(_CHAT_OPEN)}{body}{rng.choice(_CHAT_CLOSE)}"


def _classify(rng: random.Random, category: str, topic: _Topic, tier: str, high: bool) -> str:
    """An intent/urgency label; urgency mostly follows the risk tier, and a few intents are wrong."""
    intent, confidence = topic.intent, rng.uniform(0.78, 0.99)
    if rng.random() < _CLASSIFIER_ERROR_RATE:
        intent = rng.choice([t.intent for t in _TOPICS[category] if t.intent != topic.intent])
        confidence = rng.uniform(0.45, 0.9)
    urgency = tier if high or rng.random() < 0.8 else rng.choice(("low", "medium", "high"))
    return f"intent={intent} urgency={urgency} confidence={confidence:.2f}"


def _retrieve(rng: random.Random, category: str, topic: _Topic) -> list[dict[str, Any]]:
    """1-3 passages, best first: usually the topic's own article on top, occasionally a miss."""
    own = (_KB_ID[topic.intent], topic.kb)
    top = rng.choice(_ALL_KB) if rng.random() < _BAD_RETRIEVAL else own
    passages = [(top, round(rng.uniform(0.72, 0.94), 2))]
    pool = [p for p in _KB_POOL[category] if p[0] != top[0]]
    for extra in rng.sample(pool, rng.choice((0, 1, 1, 2))):
        passages.append((extra, round(rng.uniform(0.42, passages[-1][1] - 0.02), 2)))
    return [{"id": kb_id, "content": content, "score": score} for (kb_id, content), score in passages]
