"""dbagent as an MCP server (official `mcp` SDK): the outer shell for orchestrating agents."""
