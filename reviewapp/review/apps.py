from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "reviewapp.review"
    label = "review"
    verbose_name = "Review: rubrics, claims, labels and gold"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from reviewapp.audits.filters import verdicts_wanted
        from reviewapp.projects.models import Project

        from .receivers import start_rubric, verdict_options

        post_save.connect(start_rubric, sender=Project, dispatch_uid="review.start_rubric")
        verdicts_wanted.connect(verdict_options, dispatch_uid="review.verdict_options")
