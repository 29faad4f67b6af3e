-- wirewatch schema, version 1: sources, articles and their revisions,
-- classifications, subscribers and the delivery outbox.

CREATE TABLE sources (
    id              bigserial PRIMARY KEY,
    name            text        NOT NULL UNIQUE,
    outlet          text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('feed', 'listing')),
    url             text        NOT NULL,
    language        text        NOT NULL DEFAULT '',
    listing         jsonb,
    poll_interval   interval    NOT NULL DEFAULT '30 minutes',
    respect_robots  boolean     NOT NULL DEFAULT true,
    enabled         boolean     NOT NULL DEFAULT true,
    etag            text        NOT NULL DEFAULT '',
    last_modified   text        NOT NULL DEFAULT '',
    next_poll_at    timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    lease_owner     text,
    failures        integer     NOT NULL DEFAULT 0,
    last_error      text,
    last_status     integer,
    last_polled_at  timestamptz,
    last_ok_at      timestamptz,
    last_item_count integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sources IS 'Feeds and listing pages wirewatch polls; synced from the source catalogue at start.';
COMMENT ON COLUMN sources.lease_until IS 'A poller holds the source until then; an expired lease may be taken by another replica.';
CREATE INDEX sources_due_idx ON sources (next_poll_at) WHERE enabled;

CREATE TABLE articles (
    id                 bigserial PRIMARY KEY,
    canonical_url      text        NOT NULL UNIQUE,
    source_id          bigint      REFERENCES sources (id) ON DELETE SET NULL,
    outlet             text        NOT NULL DEFAULT '',
    title              text        NOT NULL DEFAULT '',
    byline             text        NOT NULL DEFAULT '',
    published_at       timestamptz,
    published_suspect  boolean     NOT NULL DEFAULT false,
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    language           text        NOT NULL DEFAULT '',
    summary            text        NOT NULL DEFAULT '',
    body_text          text        NOT NULL DEFAULT '',
    content_hash       text        NOT NULL DEFAULT '',
    extract_method     text        NOT NULL DEFAULT '',
    revision           integer     NOT NULL DEFAULT 0,
    removed_at         timestamptz,
    -- fetch work state: pending until the page is fetched and extracted.
    fetch_state        text        NOT NULL DEFAULT 'pending'
                       CHECK (fetch_state IN ('pending', 'fetched', 'failed')),
    fetch_attempts     integer     NOT NULL DEFAULT 0,
    fetch_error        text,
    next_check_at      timestamptz DEFAULT now(),
    check_count        integer     NOT NULL DEFAULT 0,
    last_checked_at    timestamptz,
    lease_until        timestamptz,
    lease_owner        text,
    etag               text        NOT NULL DEFAULT '',
    last_modified      text        NOT NULL DEFAULT '',
    -- the current classification (the history is in classifications).
    classifier_version text,
    relevant           boolean,
    score              real,
    topics             text[]      NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE articles IS 'One row per canonical URL: its current text, fetch state and current classification.';
COMMENT ON COLUMN articles.next_check_at IS 'When the page is due to be fetched (pending) or re-checked for edits and removal; NULL when no more checks are scheduled.';
CREATE INDEX articles_due_idx ON articles (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX articles_published_idx ON articles (coalesce(published_at, first_seen_at));
CREATE INDEX articles_source_idx ON articles (source_id);
CREATE INDEX articles_relevant_idx ON articles (score DESC) WHERE relevant;

CREATE TABLE article_revisions (
    article_id     bigint      NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    revision       integer     NOT NULL,
    seen_at        timestamptz NOT NULL DEFAULT now(),
    title          text        NOT NULL DEFAULT '',
    body_text      text        NOT NULL DEFAULT '',
    content_hash   text        NOT NULL,
    extract_method text        NOT NULL DEFAULT '',
    raw_gzip       bytea,
    raw_charset    text        NOT NULL DEFAULT '',
    -- what changed since the previous revision: [{"op":"insert|delete","text":…}].
    diff           jsonb,
    PRIMARY KEY (article_id, revision)
);
COMMENT ON TABLE article_revisions IS 'Every version of an article ever seen, with the raw page gzip-compressed.';

CREATE TABLE classifications (
    article_id         bigint      NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    classifier_version text        NOT NULL,
    topic              text        NOT NULL,
    score              real        NOT NULL CHECK (score >= 0 AND score <= 1),
    relevant           boolean     NOT NULL,
    evidence           jsonb       NOT NULL DEFAULT '[]',
    revision           integer     NOT NULL DEFAULT 0,
    classified_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (article_id, classifier_version, topic)
);
COMMENT ON TABLE classifications IS 'Per-topic scores and evidence, one row per article, classifier version and topic.';
CREATE INDEX classifications_topic_idx ON classifications (topic, score DESC);

CREATE TABLE subscribers (
    id              bigserial PRIMARY KEY,
    name            text        NOT NULL UNIQUE,
    email           text,
    webhook_url     text,
    timezone        text        NOT NULL DEFAULT 'UTC',
    enabled         boolean     NOT NULL DEFAULT true,
    webhook_disabled_at timestamptz,
    webhook_disabled_reason text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE subscribers IS 'Readers of alerts; synced from the configuration at start.';

CREATE TABLE subscriptions (
    id            bigserial PRIMARY KEY,
    subscriber_id bigint  NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    name          text    NOT NULL DEFAULT '',
    topics        text[]  NOT NULL DEFAULT '{}',
    min_score     real    NOT NULL DEFAULT 0,
    outlets       text[]  NOT NULL DEFAULT '{}',
    languages     text[]  NOT NULL DEFAULT '{}',
    cadence       text    NOT NULL CHECK (cadence IN ('immediate', 'daily', 'weekly')),
    at_time       time,
    weekday       smallint CHECK (weekday BETWEEN 0 AND 6),
    timezone      text    NOT NULL DEFAULT 'UTC',
    spec          text    NOT NULL DEFAULT '',
    UNIQUE (subscriber_id, name)
);
COMMENT ON TABLE subscriptions IS 'What a subscriber wants: topics (empty = all), minimum score, outlets and languages (empty = all), and cadence.';

CREATE TABLE digests (
    id            bigserial PRIMARY KEY,
    subscriber_id bigint      NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    period_start  timestamptz NOT NULL,
    period_end    timestamptz NOT NULL,
    status        text        NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'empty')),
    item_count    integer     NOT NULL DEFAULT 0,
    attempts      integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until   timestamptz,
    sent_at       timestamptz,
    message_id    text,
    error         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscriber_id, period_start)
);
COMMENT ON TABLE digests IS 'One email digest per subscriber and period.';

CREATE TABLE deliveries (
    id              bigserial PRIMARY KEY,
    subscriber_id   bigint      NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    article_id      bigint      NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    channel         text        NOT NULL CHECK (channel IN ('email', 'webhook')),
    mode            text        NOT NULL CHECK (mode IN ('immediate', 'digest')),
    event           text        NOT NULL DEFAULT 'new' CHECK (event IN ('new', 'changed', 'removed')),
    digest_id       bigint      REFERENCES digests (id) ON DELETE SET NULL,
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    sent_at         timestamptz,
    error           text,
    score           real,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscriber_id, article_id, channel, event)
);
COMMENT ON TABLE deliveries IS 'The outbox: one row per subscriber, article, channel and event; status tells what happened.';
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_digest_idx ON deliveries (digest_id);

CREATE VIEW relevant_articles AS
SELECT a.id,
       a.canonical_url AS url,
       a.outlet,
       a.title,
       a.language,
       coalesce(a.published_at, a.first_seen_at) AS published_at,
       a.first_seen_at,
       a.score,
       a.topics,
       a.classifier_version,
       a.revision > 1 AS edited,
       a.removed_at,
       a.summary,
       a.body_text
FROM articles a
WHERE a.relevant;
COMMENT ON VIEW relevant_articles IS 'Articles the current classifier judged relevant, newest first by published_at.';

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wirewatch_reader') THEN
        CREATE ROLE wirewatch_reader NOLOGIN;
    END IF;
END
$$;
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO wirewatch_reader', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO wirewatch_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO wirewatch_reader;
-- tables and views added by later migrations are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO wirewatch_reader;
