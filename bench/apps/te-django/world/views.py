"""The workloads, written like the TechEmpower Django entry."""

import hashlib
import json
import random

from django.http import HttpResponse
from django.shortcuts import render

from .models import Fortune, World


def count(request):
    try:
        n = int(request.GET.get("queries", 1))
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
