"""Real agent servers the tests start on free ports: an A2A agent built with a2a-sdk's server
classes and an AG-UI endpoint built with ag-ui-protocol's encoder. Each runs as its own
process (`python -m tests.agent_servers.<name> --port N`) and reports what it saw at
`GET /_test/seen`."""
