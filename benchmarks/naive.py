"""The hand-written sequential monitor the pipeline benchmark compares Rasad with.

``python benchmarks/naive.py FEED_URL...``: for each feed in turn, fetch it (httpx), parse it
(feedparser), then fetch each item's page and extract its text (``trafilatura.extract``) and look
for a few keywords by substring. Prints ``articles=<n> matched=<m>``. What a careful person writes
in an afternoon: no concurrency, no store, no rules language.
"""

from __future__ import annotations

import sys

import feedparser
import httpx
import trafilatura

KEYWORDS = ("التحالف الدولي", "انسحاب", "اللجنة العسكرية العليا", "قوات التحالف")


def main(urls: list[str]) -> None:
    articles = matched = 0
    with httpx.Client(timeout=30, trust_env=False) as client:
        for url in urls:
            feed = feedparser.parse(client.get(url).content)
            for entry in feed.entries:
                page = client.get(entry.link).text
                text = trafilatura.extract(page, url=entry.link) or entry.get("summary", "")
                articles += 1
                matched += any(k in text or k in entry.title for k in KEYWORDS)
    print(f"articles={articles} matched={matched}")


if __name__ == "__main__":
    main(sys.argv[1:])
