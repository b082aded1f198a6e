from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "reviewapp.audits"
    label = "audits"
    verbose_name = "Sampling plans and weekly audits"

    def ready(self) -> None:
        from reviewapp.projects.signals import project_started

        from .receivers import first_plan

        project_started.connect(first_plan, dispatch_uid="audits.first_plan")
