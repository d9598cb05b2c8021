"""The use cases: one small method per thing a person (or the CLI) does — load, let the domain
decide, save, commit. No SQL here and no Flask: the adapters hold the SQL, the web the requests.
The write side (cases, people) is apart from the read side (queries, directory); the scenario
runner and the demo (a folder of scenario files) play the same use cases.

    Workflow(store, registry)          engine.py: the composition of them all
"""
