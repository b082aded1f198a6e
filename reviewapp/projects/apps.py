from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "reviewapp.projects"
    label = "projects"
    verbose_name = "Projects and access"

    def ready(self) -> None:
        from reviewapp import jobs

        jobs.log_mode()
