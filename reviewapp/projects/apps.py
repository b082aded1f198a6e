from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "reviewapp.projects"
    label = "projects"
    verbose_name = "Projects and access"

    def ready(self) -> None:
        from django.urls import register_converter

        from reviewapp import jobs
        from reviewapp.lib.converters import IdConverter

        jobs.log_mode()
        register_converter(IdConverter, "id")  # every app's URLs use <id:...>; URL modules load after ready()
