"""The domain: what a procedure is and what its rules decide. PURE — no SQLAlchemy, no Flask, no
I/O of any kind (no files, no clock: the time is passed in). Everything here is a value or a
function of values, so every rule is tested without a database.

- definition: a procedure (a mapping from a YAML file) checked and frozen; the Registry of them
- rules, tally, forms: vote arithmetic in exact fractions; tallies and forms checked and judged
- calendar: working days (Vietnam's holidays)
- machine: the `transitions` state machine of a definition version, built once
- case: a case, its step records, its candidates
- permissions: THE table of who may do what
- actions: THE table of actions on a case and one decide() per action -> Change
- parse: THE parsers every input goes through
- search: what the text filter looks in, folded
- chain: the record's hash (THE event hash) and the walk that verifies it
- people, credentials: users and actors; passwords and tokens
- errors, messages: one exception family with stable codes and message keys
"""
