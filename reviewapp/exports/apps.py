from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "reviewapp.exports"
    label = "exports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from reviewapp.review.models import GoldRevision

        from .sync_jobs import gold_revised

        # Every change of a final label is a new GoldRevision: the label goes back to its source trace.
        post_save.connect(gold_revised, sender=GoldRevision, dispatch_uid="exports.sync.gold_revised")
