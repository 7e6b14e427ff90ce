"""Unmanaged mirrors of the tables the Trellis models create (bench/apps/orm-bench/src/orm.rs)."""

from django.db import models


class User(models.Model):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=100)
    hair_color = models.CharField(max_length=50, null=True)

    class Meta:
        managed = False
        db_table = "bench_user"


class Post(models.Model):
    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="posts", db_column="user_id"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "bench_post"


class Comment(models.Model):
    id = models.BigAutoField(primary_key=True)
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="comments", db_column="post_id"
    )
    text = models.TextField()

    class Meta:
        managed = False
        db_table = "bench_comment"
