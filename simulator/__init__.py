"""Simulated telecare homes: residents living their days, hubs speaking MQTT like real ones.

The simulator never imports the service's internals; it only shares the domain vocabulary and clocks
(``telecare.domain``, ``telecare.clock``). Start with ``simulator.simulation.build_homes``.
"""
