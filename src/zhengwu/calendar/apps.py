from django.apps import AppConfig


class CalendarConfig(AppConfig):
    name = "zhengwu.calendar"
    label = "calendar"
    verbose_name = "工作日历"
