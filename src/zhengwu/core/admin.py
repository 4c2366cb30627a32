from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "summary"]
    list_filter = ["action", "object_type"]
    search_fields = ["summary", "object_id", "actor__username"]
    date_hierarchy = "at"
    list_select_related = ["actor"]

    def get_queryset(self, request):
        """Who did what in every department is for those who see all departments; anyone else
        (should the admin ever let them in) sees the records of their own department's staff."""
        qs = super().get_queryset(request)
        user = request.user
        if user.is_superuser or user.has_perm("accounts.view_all_departments"):
            return qs
        return qs.filter(actor__department_id=user.department_id, actor__department__isnull=False)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
