from django.contrib import admin

from .models import Department, Hall, Region, Window


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "region", "phone", "is_active"]
    list_filter = ["is_active", "region__level"]
    search_fields = ["name", "short_name", "uscc"]
    autocomplete_fields = ["region"]


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    autocomplete_fields = ["department"]


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "address"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["region"]
    inlines = [WindowInline]


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "kind", "hall", "department", "is_open"]
    list_filter = ["kind", "is_open", "hall"]
    search_fields = ["number", "name"]
    autocomplete_fields = ["hall", "department"]
