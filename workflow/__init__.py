"""cadreflow's engine: a library with no Flask in it, in three layers whose imports point one way
(`.importlinter` checks them; docs/architecture.md shows them):

    usecases/   one small method per use case: load, let the domain decide, save, commit
    adapters/   ALL the SQL and every file read
    domain/     PURE: the rules (no SQLAlchemy, no I/O, no clock)

usecases -> adapters -> domain, and usecases -> domain. Nothing here imports the web."""
