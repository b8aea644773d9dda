"""qunyun (群运): run online communities the way the playbook says.

Data flow: adapters/importers → events → pipeline (policies) → effects → adapters,
with services the only writers of state and storage the only place with SQL.
"""

__version__ = "0.1.0"
