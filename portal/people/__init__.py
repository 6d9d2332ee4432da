"""People (人员): accounts and the roles they hold in organisations."""
