"""Canonical article URLs (pure): the fallback item key and the key for duplicate detection."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that identify a campaign, a click or the link's placement, never the article.
# Arabic outlets add their own: Al Jazeera's traffic_source, MSN's ocid and cvid, France 24's xtor,
# BBC Arabic's at_*, Mailchimp's mc_* in newsletters, ref=homepage on Egyptian dailies.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mkt_tok",
        "_ga",
        "_gl",
        "ref",
        "ref_src",
        "ref_url",
        "cmpid",
        "cmp",
        "s_cid",
        "ocid",
        "cvid",
        "smid",
        "spm",
        "share",
        "sr_share",
        "amp",
        "output",
        "traffic_source",
        "xtor",
        "xtref",
        "ito",
        "rssfeed",
    }
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "mc_", "ns_", "fb_", "hsa_", "wt.")


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters, sorted query.

    Raises ValueError for a URL that cannot be one (a port out of range, a broken IPv6 literal)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))
