from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "reviewapp.audits"
    label = "audits"
    verbose_name = "Sampling plans and weekly audits"
