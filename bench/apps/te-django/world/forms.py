"""The validated endpoint's inputs as Django forms (bound to the decoded JSON body and to
the query string): the same constraints as the pydantic models of the FastAPI entry."""

from django import forms
from django.core.exceptions import ValidationError


class PagingForm(forms.Form):
    limit = forms.IntegerField(min_value=1, max_value=100)


class ItemForm(forms.Form):
    name = forms.CharField(min_length=1, max_length=50, strip=False)
    description = forms.CharField(max_length=200, required=False, strip=False, empty_value=None)
    price = forms.FloatField(min_value=0)
    quantity = forms.IntegerField(min_value=1, max_value=1000)
    email = forms.EmailField()
    currency = forms.RegexField(r"^[A-Z]{3}\Z")
    tags = forms.JSONField(required=False)
    in_stock = forms.BooleanField(required=False)
    category = forms.ChoiceField(choices=[(c, c) for c in ("books", "games", "music")])
    discount = forms.FloatField(min_value=0, max_value=1)

    def clean_tags(self):
        tags = self.cleaned_data["tags"]
        if tags is None:
            if "tags" not in self.data:
                raise ValidationError("This field is required.", code="required")
            tags = []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ValidationError("Enter a list of strings.", code="list_type")
        if len(tags) > 10:
            raise ValidationError("Ensure this list has at most 10 items.", code="too_long")
        return tags
