"""Tests of the Slack edge, served over HTTP against a fake Slack Web API."""
