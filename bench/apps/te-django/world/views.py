"""The workloads, written like the TechEmpower Django entry; ``/cached-queries`` from a
per-process copy of the ``world`` table read on first use; ``items/<shop_id>`` validated
with Django forms."""

import functools
import hashlib
import json
import random

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from .forms import ItemForm, PagingForm
from .models import Fortune, World


def count(request, name="queries"):
    try:
        n = int(request.GET.get(name, 1))
    except ValueError:
        return 1
    return min(max(n, 1), 500)


def rid():
    return random.randint(1, 10000)


def json_response(data):
    return HttpResponse(json.dumps(data, separators=(",", ":")), content_type="application/json")


def plaintext(request):
    return HttpResponse(b"Hello, World!", content_type="text/plain")


def json_(request):
    return json_response({"message": "Hello, World!"})


def fetch(n):
    get = World.objects.values("id", "randomnumber").get
    return [get(id=rid()) for _ in range(n)]


def as_json(rows):
    return [{"id": r["id"], "randomNumber": r["randomnumber"]} for r in rows]


def db(request):
    return json_response(as_json(fetch(1))[0])


def queries(request):
    return json_response(as_json(fetch(count(request))))


@functools.cache
def world_cache():
    """Every world as its JSON object, index id - 1 (read once per worker process)."""
    return [{"id": i, "randomNumber": r} for i, r in World.objects.order_by("id").values_list("id", "randomnumber")]


def cached_queries(request):
    cache = world_cache()
    return json_response([cache[rid() - 1] for _ in range(count(request, "count"))])


def updates(request):
    worlds = [World.objects.get(id=rid()) for _ in range(count(request))]
    for w in worlds:
        w.randomnumber = rid()
    last = {w.id: w for w in worlds}
    World.objects.bulk_update(sorted(last.values(), key=lambda w: w.id), ["randomnumber"])
    return json_response([{"id": w.id, "randomNumber": last[w.id].randomnumber} for w in worlds])


def fortunes(request):
    items = list(Fortune.objects.all())
    items.append(Fortune(id=0, message="Additional fortune added at request time."))
    items.sort(key=lambda f: f.message)
    return render(request, "fortunes.html", {"fortunes": items})


def cpu(request):
    d = bytes(32)
    for _ in range(3000):
        d = hashlib.sha256(d).digest()
    return HttpResponse(d.hex(), content_type="text/plain")


def _errors(form, where):
    return [
        {"type": e["code"] or "value_error", "loc": [where, field], "msg": e["message"]}
        for field, errs in form.errors.get_json_data().items()
        for e in errs
    ]


@require_POST
def items(request, shop_id):
    paging = PagingForm(request.GET)
    try:
        data = json.loads(request.body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        detail = [{"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a JSON object"}]
        return JsonResponse({"detail": detail}, status=422)
    item = ItemForm(data)
    paging_ok, item_ok = paging.is_valid(), item.is_valid()
    if not (paging_ok and item_ok):
        return JsonResponse({"detail": _errors(paging, "query") + _errors(item, "body")}, status=422)
    return JsonResponse({"shop_id": shop_id, "limit": paging.cleaned_data["limit"], "item": item.cleaned_data})
