from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "reviewapp.demo"
    label = "demo"
    verbose_name = "Demo data"
