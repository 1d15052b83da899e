"""What the public pages show every visitor, kept in the cache between requests.

The register's public face (the controller, the policy in force and its banner, what the home
page summarises) changes a few times a year and is read on every public request. It is cached
under one register version: a random token that changes whenever a watched row is saved or
deleted (signals, connected in the apps' ready(); services that write with update() call
`register_changed` themselves). The token changes at once and again when the transaction
commits, so a request that read the old rows while the write was pending cannot keep them.
Entries carry the version they were built under and are rebuilt when it differs; the timeout is
only a backstop for writes that bypass both (raw SQL, a restored backup).

Whole pages that are the same for every visitor (`shared_page`) are cached per path, language,
day (what is in force depends on the date) and register version, rendered once with a random
marker where the visitor's CSRF token goes; each response substitutes the visitor's own token.
A page about one person (the status page) renders its `content` block into the cached rest of
the page (`page_in_layout`). That block may be kept too, but only encrypted, briefly, and under a
keyed hash of everything it shows as stored in the database: a change to any of it is a new key.
"""

import logging
import secrets
import time
import weakref
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import engines
from django.template.context import make_context
from django.template.loader import get_template, render_to_string
from django.template.loader_tags import BlockNode
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import get_language

from core import crypto

VERSION_KEY = "public:register-version"
# A backstop only: edits through the admin and the services invalidate at once.
TIMEOUT = 15 * 60
# How long a page's personal content (page_in_layout's `content_key`) is kept: not for
# correctness (its key changes with what it shows) but to keep personal data only briefly.
CONTENT_TIMEOUT = 5 * 60
# Entries are never read by another release (templates, translations and code change with a
# deploy): each process keys them with its own prefix, while the register version is shared.
_RELEASE = secrets.token_hex(4)
# Each process also keeps what it read for this long without asking the cache again: another
# process's edit shows here within that time; this process's own edits at once.
MEMO_SECONDS = 2.0
_MEMO_SIZE = 256
_memo: dict[str, tuple[float, object]] = {}
# And the personal content blocks it rendered or read (encrypted, as in the cache), until they
# expire: by name, which changes with what they show.
_contents: dict[str, tuple[float, str, str]] = {}
_clock = time.monotonic

logger = logging.getLogger(__name__)


def register_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, secrets.token_hex(8), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def forget() -> None:
    """Drop this process's memo (tests: the database rolls back, the memo would remain)."""
    _memo.clear()
    _contents.clear()


def _new_version() -> None:
    forget()
    try:
        cache.set(VERSION_KEY, secrets.token_hex(8), timeout=None)
    except Exception:  # the cache is down: an edit must still save; entries expire
        logger.exception(
            "public pages: the cache is unreachable; cached pages expire within %ss", TIMEOUT
        )


def register_changed() -> None:
    """Invalidate everything cached from the register: now, and again on commit."""
    _new_version()
    transaction.on_commit(_new_version)


def _on_change(sender, **kwargs) -> None:
    register_changed()


def watch(*models) -> None:
    """Invalidate on every save or delete of `models` (and changes of their many-to-many
    fields); called from the apps' ready()."""
    for model in models:
        uid = f"public-cache:{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}:delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _on_change, sender=field.remote_field.through, dispatch_uid=f"{uid}:{field.name}"
            )


def language() -> str:
    """The active language's code, as the cache keys name it."""
    return (get_language() or "en")[:2]


def cached(name: str, build: Callable[[], object], *, timeout: int = TIMEOUT):
    """`build()`'s value under `name` for the current register version: one cache round trip
    when it is there (the version and the entry are read together), none when this process
    read it less than MEMO_SECONDS ago. Without a cache (Redis down) the value is built every
    time: the public pages stay up."""
    now = _clock()
    memo = _memo.get(name)
    if memo is not None and now - memo[0] < MEMO_SECONDS:
        return memo[1]
    key = f"{_RELEASE}:{name}"
    try:
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or register_version()
    except Exception:
        logger.warning("public pages: the cache is unreachable; rendering without it")
        return build()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        value = entry[1]
    else:
        value = build()
        try:
            cache.set(key, (version, value), timeout)
        except Exception:
            logger.warning("public pages: the cache is unreachable; rendering without it")
            return value
    if len(_memo) >= _MEMO_SIZE:  # yesterday's keys, other languages: start again
        _memo.clear()
    _memo[name] = (now, value)
    return value


# --- Whole pages ----------------------------------------------------------------------------


def shared_page(
    request: HttpRequest, template_name: str, context: Callable[[], dict]
) -> HttpResponse:
    """A page that is the same for every visitor in a language, but for the CSRF token.

    `context` is called only when the page is (re)built. Requests with a query string are
    rendered normally: the page echoes its address (the language switcher's `next`), and
    visitors must not fill the cache with variants.
    """
    if request.META.get("QUERY_STRING"):
        return HttpResponse(render_to_string(template_name, context(), request))
    lang = language()
    key = f"public:page:{request.path}:{lang}:{timezone.localdate().isoformat()}"

    def build() -> tuple[str, str]:
        marker = f"csrf{secrets.token_hex(16)}"
        return marker, render_to_string(template_name, {**context(), "csrf_token": marker}, request)

    marker, content = cached(key, build)
    return HttpResponse(content.replace(marker, get_token(request)))


# A parsed template's blocks, found once (templates are parsed once, by the cached loader).
_blocks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _block(template, name: str) -> BlockNode:
    blocks = _blocks.get(template)
    if blocks is None:
        nodes = template.nodelist.get_nodes_by_type(BlockNode)
        blocks = _blocks[template] = {node.name: node for node in nodes}
    return blocks[name]


def page_in_layout(
    request: HttpRequest, template_name: str, context: dict, *, content_key: object = None
) -> HttpResponse:
    """A page about one visitor: its `content` block rendered for this request, the rest of
    the page (layout, title) from the cache, per language, day and register version.

    The rest is rendered once with markers where the visitor's address (the language
    switcher's `next`), CSRF token and content go; it must not depend on anything else of the
    request. The content is never searched for those markers.

    With `content_key`, the caller vouches that the content block depends on nothing but it,
    the template, the language and the time zone, and the visitor's CSRF token: the block is
    then kept for CONTENT_TIMEOUT (`_content_cached`). Without it, it is rendered every time.
    """
    lang = language()
    key = f"public:layout-of:{template_name}:{lang}:{timezone.localdate().isoformat()}"

    def build() -> tuple[str, str, str, str]:
        csrf, path, content = (f"{name}{secrets.token_hex(16)}" for name in ("csrf", "path", ""))
        page = engines["django"].from_string(
            "{% extends page %}{% block content %}{{ content }}{% endblock %}"
        )
        values = {"page": template_name, "content": content, "csrf_token": csrf}
        before, after = page.render({**values, "next_path": path}, request).split(content)
        return csrf, path, before, after

    csrf, path, before, after = cached(key, build)
    token, address = get_token(request), escape(request.get_full_path())
    if content_key is None:
        content = _content(request, template_name, context)
    else:
        content = _content_cached(request, template_name, context, content_key, token)
    before, after = (part.replace(csrf, token).replace(path, address) for part in (before, after))
    return HttpResponse(before + content + after)


def _content(request: HttpRequest, template_name: str, context: dict) -> str:
    template = get_template(template_name).template
    bound = make_context(context, request)
    with bound.render_context.push_state(template), bound.bind_template(template):
        return _block(template, "content").render(bound)


def _content_cached(
    request: HttpRequest, template_name: str, context: dict, content_key: object, token: str
) -> str:
    """The content block from the cache, else rendered (with a marker for the CSRF token) and
    kept. It is personal data: the entry is encrypted with the field encryption key and named
    by a keyed hash, so the cache holds no plaintext and its keys reveal nothing; the key
    (the caller's rows as stored, before decryption) changes with anything the block shows,
    so an entry is never stale, and the short timeout only limits how long it is kept."""
    material = (template_name, language(), timezone.get_current_timezone_name(), content_key)
    name = crypto.keyed_hash(repr(material))
    entry = _content_entry(name)
    if entry is not None:
        _expires, marker, sealed = entry
        try:
            return crypto.decrypt(sealed).replace(marker, token)
        except ValueError:  # sealed under a key retired since: render it again
            pass
    marker = f"csrf{secrets.token_hex(16)}"
    content = _content(request, template_name, {**context, "csrf_token": marker})
    entry = (time.time() + CONTENT_TIMEOUT, marker, crypto.encrypt(content))
    _remember_content(name, entry)
    try:
        cache.set(f"{_RELEASE}:public:content:{name}", entry, CONTENT_TIMEOUT)
    except Exception:
        logger.warning("public pages: the cache is unreachable; rendering without it")
    return content.replace(marker, token)


def _content_entry(name: str) -> tuple | None:
    """This process's copy of an entry (it cannot be stale: its name is its content), else
    the cache's."""
    entry = _contents.get(name)
    if entry is None:
        try:
            entry = cache.get(f"{_RELEASE}:public:content:{name}")
        except Exception:
            logger.warning("public pages: the cache is unreachable; rendering without it")
            return None
        if entry is None:
            return None
        _remember_content(name, entry)
    return entry if entry[0] > time.time() else None


def _remember_content(name: str, entry: tuple) -> None:
    if len(_contents) >= _MEMO_SIZE:
        _contents.clear()
    _contents[name] = entry
