"""smscode: find and explain Alibaba Cloud SMS, gateway and SMPP error codes, in Slack and on the command line."""

__version__ = "0.1.0"
