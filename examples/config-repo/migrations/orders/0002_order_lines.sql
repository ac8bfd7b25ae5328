CREATE TABLE order_lines (
    order_id   bigint  NOT NULL REFERENCES orders (id),
    line       int     NOT NULL,
    sku        text    NOT NULL,
    quantity   int     NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, line)
);
