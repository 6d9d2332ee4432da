"""调解卷宗门户: the web application and the domain."""
