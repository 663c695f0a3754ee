from django.contrib import admin

from livechat.models import Dialogue


@admin.register(Dialogue)
class DialogueAdmin(admin.ModelAdmin):
    """Dialogues are prepared here; their lifecycle and questions are handled in the
    moderator console, through the services, so every change is logged and broadcast."""

    list_display = ["topic", "status", "starts_at", "ends_at", "chair"]
    list_filter = ["status"]
    search_fields = ["topic", "description"]
    prepopulated_fields = {"slug": ["topic"]}
    filter_horizontal = ["participants"]
    readonly_fields = ["status"]
    exclude = ["on_air"]
