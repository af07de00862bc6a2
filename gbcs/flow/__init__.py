"""Flows of GBCS messages: capture analysis (pairing, counters, storms, expected alerts) and the
Common Test Scenarios runner. Rules of topic `flow` (GBCS-F…); facts in specs/flows.gbspec."""
from gbcs.flow.facts import Facts, FlowMessage, facts_of, response_outcome

__all__ = ["Facts", "FlowMessage", "facts_of", "response_outcome"]
