"""Networks: technology and switch choice, host fabrics, management networks, their racks."""
