"""Django admin for platform admins: every certificate with its production status."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Certificate


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["serial", "holder_name", "kind", "title", "hours", "status",
                    "render_attempts", "issued_at", "revoked_at"]  # fmt: skip
    list_filter = ["status", "kind", "year"]
    search_fields = ["serial", "holder_name", "title", "code"]
    readonly_fields = [field.name for field in Certificate._meta.fields]
    actions = ["render_again"]

    def has_add_permission(self, request):
        return False  # certificates are issued by completions, never typed in

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: a verification link must never start answering 404

    @admin.action(description=_("Produce the PDF again (failed or pending ones)"))
    def render_again(self, request, queryset):
        unfinished = queryset.exclude(status=Certificate.Status.ISSUED)
        unfinished.filter(status=Certificate.Status.FAILED).update(
            status=Certificate.Status.PENDING, last_error=""
        )
        sent = sum(services.send_render(pk) for pk in unfinished.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d certificate sent for production.",
                     "%(count)d certificates sent for production.", sent) % {"count": sent},
            messages.SUCCESS,
        )  # fmt: skip
