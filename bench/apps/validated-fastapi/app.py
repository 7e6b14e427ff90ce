"""FastAPI contender of the validation benchmark (bench/validation/run).

The same endpoint as the Rust contenders: ``POST /items/{shop_id}?limit=N`` with a JSON
body of ten constrained fields, validated by pydantic v2 and echoed back through a
``response_model``. Run with uvicorn (uvloop, httptools), one worker per core::

    uvicorn app:app --app-dir bench/apps/validated-fastapi --loop uvloop --http httptools \
        --workers "$(nproc)" --no-access-log --host 127.0.0.1 --port PORT
"""

from enum import Enum
from typing import Annotated, Optional

from fastapi import FastAPI, Query
from pydantic import BaseModel, EmailStr, Field


class Category(str, Enum):
    books = "books"
    games = "games"
    music = "music"


class Item(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    description: Optional[str] = Field(default=None, max_length=200)
    price: float = Field(ge=0.0)
    quantity: int = Field(ge=1, le=1000)
    email: EmailStr
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    tags: list[str] = Field(max_length=10)
    in_stock: bool
    category: Category
    discount: float = Field(ge=0.0, le=1.0)


class Echo(BaseModel):
    shop_id: int
    limit: int
    item: Item


app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.post("/items/{shop_id}", response_model=Echo)
async def create_item(
    shop_id: int,
    item: Item,
    limit: Annotated[int, Query(ge=1, le=100)],
) -> Echo:
    return Echo(shop_id=shop_id, limit=limit, item=item)
