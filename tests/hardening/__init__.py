"""Tests that try to break the gateway's promises (issue 30): the live bound, the meter, who it talks to."""
