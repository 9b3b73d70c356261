"""Лабораторная «API предсказаний на Flask»: заполните create_app и DOCKERFILE."""

from flask import Flask


def create_app(model_path: str) -> Flask:
    raise NotImplementedError


DOCKERFILE = """
"""
