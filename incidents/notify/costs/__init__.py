"""What sending costs: SMS segments, their price per country, the send forecast."""
