-- The reference platform's own database as the demo keeps it (demo/platform.py): what a data
-- subject request reaches through the SQL connectors of demo/data/connectors.toml.
CREATE TABLE IF NOT EXISTS organisations (
    id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, country TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id BIGSERIAL PRIMARY KEY, organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL UNIQUE, name TEXT, role TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL, last_login_at TIMESTAMP,
    restricted BOOLEAN NOT NULL DEFAULT FALSE);
CREATE TABLE IF NOT EXISTS functions (
    id BIGSERIAL PRIMARY KEY, organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    created_by_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    name TEXT NOT NULL, model TEXT NOT NULL, instructions TEXT,
    created_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS evaluations (
    id BIGSERIAL PRIMARY KEY, function_id BIGINT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    created_by_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    score REAL NOT NULL, comment TEXT, created_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS indexes (
    id BIGSERIAL PRIMARY KEY, organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    created_by_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    name TEXT NOT NULL, documents INTEGER NOT NULL, created_at TIMESTAMP NOT NULL);
-- The event store is written by every service and keeps the address the event was recorded
-- with: no foreign key, as in the real one.
CREATE TABLE IF NOT EXISTS events (
    id BIGSERIAL PRIMARY KEY, user_id BIGINT, user_email TEXT, kind TEXT NOT NULL, ip_address TEXT,
    user_agent TEXT, occurred_at TIMESTAMP NOT NULL,
    restricted BOOLEAN NOT NULL DEFAULT FALSE);
CREATE TABLE IF NOT EXISTS invoices (
    id BIGSERIAL PRIMARY KEY, organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    number TEXT NOT NULL UNIQUE, customer_email TEXT NOT NULL, customer_name TEXT,
    billing_address TEXT, amount_sek NUMERIC(12, 2) NOT NULL, issued_on DATE NOT NULL,
    fiscal_year_end DATE NOT NULL, restricted BOOLEAN NOT NULL DEFAULT FALSE,
    restricted_reason TEXT);
CREATE TABLE IF NOT EXISTS platform_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
