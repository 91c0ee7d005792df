"""Stage `solve`: networks, racks, cabling, power, cooling and the BOM around the sized compute."""
