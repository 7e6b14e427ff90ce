from django.urls import path

from . import views

urlpatterns = [
    path("plaintext", views.plaintext),
    path("json", views.json_),
    path("db", views.db),
    path("queries", views.queries),
    path("cached-queries", views.cached_queries),
    path("updates", views.updates),
    path("fortunes", views.fortunes),
    path("cpu", views.cpu),
    path("items/<int:shop_id>", views.items),
]
