from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "reviewapp.metrics"
    label = "metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reviewapp.audits.signals import outputs_retiring
        from reviewapp.review.signals import label_changed

        from .receivers import keep_judge_frames, stamp_run

        label_changed.connect(stamp_run, dispatch_uid="metrics.stamp_run")
        outputs_retiring.connect(keep_judge_frames, dispatch_uid="metrics.keep_judge_frames")
