"""What depends on what, and the impact an upstream outage has downstream.

graph: editing the edges (cycles refused under a lock); impact: the pure propagation;
picture: the console's SVG of the graph; causes: what an incident was caused by;
proposals: turning an upstream change into one proposal per root cause (through lifecycle).
"""
