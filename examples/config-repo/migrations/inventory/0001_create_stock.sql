CREATE TABLE stock (
    sku        text PRIMARY KEY,
    on_hand    int  NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
