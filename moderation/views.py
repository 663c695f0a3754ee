from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from moderation import registry, selectors


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every moderation decision, newest first, searchable, for staff."""
    query = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("kind", "")
    kinds = {t.kind: t.label for t in registry.kinds()}
    entries = selectors.audit_list(
        viewer=request.user, item_kind=kind if kind in kinds else "", query=query
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "moderation/audit_log.html",
        {"page": page, "query": query, "kind": kind, "kinds": kinds},
    )
