"""The setup checklist on a new project's home: the four steps from an empty project to a first
drawn audit, each ticked by the data itself (not by a click), so it can never claim what is not so."""
from __future__ import annotations

from dataclasses import dataclass

from reviewapp.ingest.models import Output
from reviewapp.projects.models import Invitation, Membership, Project

from .models import AuditRun, SamplingPlan


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    how: str  # what to do, or what was done


@dataclass(frozen=True)
class Checklist:
    steps: list[Step]

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)


def checklist(project: Project) -> Checklist:
    outputs = Output.objects.filter(project=project).exists()
    drawn = AuditRun.objects.filter(project=project).exists()
    plan = SamplingPlan.current(project)
    # The first plan comes with the project; the lead has chosen one once they saved the plan page
    # (a second version) or drew a week with the first.
    chosen = plan is not None and (plan.version > 1 or drawn)
    reviewers = Membership.objects.filter(project=project, role=Membership.Role.REVIEWER).count()
    invited = sum(1 for i in Invitation.objects.filter(project=project, accepted_at__isnull=True, withdrawn_at__isnull=True)
                  if i.pending)
    return Checklist(steps=[
        Step("outputs", "Send outputs", outputs,
             "Outputs have arrived." if outputs else "Send production outputs with the project's API token (below)."),
        Step("plan", "Choose the sampling plan", chosen,
             f"Plan version {plan.version} is in use." if chosen and plan else
             "Check the first plan: goal, budget, strata by risk, and how many reviews a week it asks for."),
        Step("people", "Invite reviewers", bool(reviewers or invited),
             f"{reviewers} reviewer(s), {invited} invitation(s) pending." if reviewers or invited else
             "Add the domain experts who will label, or invite them by e-mail."),
        Step("draw", "Draw the first week", drawn,
             "A week has been drawn." if drawn else "Once a week of outputs is in, draw its audit: reviewers find it in their queue."),
    ])
