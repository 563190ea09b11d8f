"""smscode: find and explain Alibaba Cloud SMS, gateway and SMPP error codes, in Slack and a terminal."""

__version__ = "0.1.0"
