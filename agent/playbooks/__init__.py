"""Deterministic implementations of well-known patterns, written from the schema's catalog.

Each playbook returns SQL files (forward and rollback, rendered from jinja2 templates in
prompts/playbooks/) and the facts the report needs; nothing here calls a model.
"""
