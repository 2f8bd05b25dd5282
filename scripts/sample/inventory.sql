-- synchdb sample source database "inventory" (MariaDB 10.11), for the demo
-- and the tests.  A small shop: products, stock, customers, their addresses
-- and orders.  Safe to load again: it drops and recreates the database and
-- resets the two users below.
--
--   scripts/mariadb.sh start
--   source scripts/env.sh && my_client mariadb < scripts/sample/inventory.sql
--
-- Users:
--   mysqluser / mysqlpwd   what a CDC connector needs, on *.*
--   nopriv    / noprivpwd  SELECT on inventory.* only (no replication rights)
--
-- Weights are exact binary fractions (0.5, 1.25, ...) so that FLOAT values
-- compare equal after replication; a few NULLs and non-ASCII texts are there
-- on purpose.

SET NAMES utf8mb4;

DROP DATABASE IF EXISTS inventory;
CREATE DATABASE inventory DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE inventory;

CREATE TABLE products (
    id          INT NOT NULL AUTO_INCREMENT,
    name        VARCHAR(255) NOT NULL,
    description VARCHAR(512),
    weight      FLOAT,
    PRIMARY KEY (id)
) ENGINE = InnoDB AUTO_INCREMENT = 101;

INSERT INTO products (id, name, description, weight) VALUES
    (101, 'kettle',       'stainless steel electric kettle, 1.7 l',   1.25),
    (102, 'desk lamp',    'LED desk lamp with dimmer',                0.75),
    (103, 'bicycle pump', 'floor pump with pressure gauge',           1.5),
    (104, 'tent',         'two-person dome tent',                     2.875),
    (105, 'hiking boots', 'waterproof leather boots, size 42',        1.625),
    (106, 'headlamp',     'rechargeable headlamp, 300 lumen',         0.125),
    (107, 'thermos',      'vacuum flask – keeps tea hot for 12 h',    0.5),
    (108, 'backpack',     NULL,                                       1.375),
    (109, 'gift card',    'voucher, redeemable in any shop',          NULL);

CREATE TABLE products_on_hand (
    product_id INT NOT NULL,
    quantity   INT NOT NULL,
    PRIMARY KEY (product_id),
    CONSTRAINT products_on_hand_product_fk
        FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE = InnoDB;

INSERT INTO products_on_hand (product_id, quantity) VALUES
    (101, 12), (102, 30), (103, 7), (104, 4), (105, 15),
    (106, 48), (107, 21), (108, 9), (109, 0);

CREATE TABLE customers (
    id         INT NOT NULL AUTO_INCREMENT,
    first_name VARCHAR(255) NOT NULL,
    last_name  VARCHAR(255) NOT NULL,
    email      VARCHAR(255) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY customers_email_uk (email)
) ENGINE = InnoDB AUTO_INCREMENT = 1001;

INSERT INTO customers (id, first_name, last_name, email) VALUES
    (1001, 'Ada',   'Okafor',    'ada.okafor@example.com'),
    (1002, 'Tomás', 'Lindqvist', 'tomas.lindqvist@example.org'),
    (1003, 'Mei',   'Tanaka',    'mei.tanaka@example.net'),
    (1004, 'Jonas', 'Berg',      'jonas.berg@example.com');

CREATE TABLE addresses (
    id          INT NOT NULL AUTO_INCREMENT,
    customer_id INT NOT NULL,
    street      VARCHAR(255) NOT NULL,
    city        VARCHAR(255) NOT NULL,
    state       VARCHAR(255) NOT NULL,
    zip         VARCHAR(255) NOT NULL,
    type        ENUM('SHIPPING', 'BILLING', 'LIVING') NOT NULL,
    PRIMARY KEY (id),
    KEY addresses_customer_idx (customer_id),
    CONSTRAINT addresses_customer_fk
        FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE = InnoDB;

INSERT INTO addresses (id, customer_id, street, city, state, zip, type) VALUES
    (1, 1001, '14 Harbour Road',     'Portland',  'Maine',     '04101', 'LIVING'),
    (2, 1001, '200 Commerce Street', 'Portland',  'Maine',     '04102', 'BILLING'),
    (3, 1002, '7 Birch Lane',        'Duluth',    'Minnesota', '55802', 'SHIPPING'),
    (4, 1002, '7 Birch Lane',        'Duluth',    'Minnesota', '55802', 'BILLING'),
    (5, 1003, '311 Sakura Avenue',   'San Jose',  'California','95112', 'LIVING'),
    (6, 1004, '88 Fjord Way',        'Seattle',   'Washington','98107', 'SHIPPING'),
    (7, 1004, '1 Main Street',       'Bellevue',  'Washington','98004', 'BILLING');

CREATE TABLE orders (
    order_number INT NOT NULL AUTO_INCREMENT,
    order_date   DATE NOT NULL,
    purchaser    INT NOT NULL,
    quantity     INT NOT NULL,
    product_id   INT NOT NULL,
    PRIMARY KEY (order_number),
    KEY orders_purchaser_idx (purchaser),
    KEY orders_product_idx (product_id),
    CONSTRAINT orders_purchaser_fk FOREIGN KEY (purchaser) REFERENCES customers (id),
    CONSTRAINT orders_product_fk FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE = InnoDB AUTO_INCREMENT = 10001;

INSERT INTO orders (order_number, order_date, purchaser, quantity, product_id) VALUES
    (10001, '2024-01-16', 1001, 1, 102),
    (10002, '2024-01-17', 1002, 2, 105),
    (10003, '2024-02-19', 1002, 2, 106),
    (10004, '2024-02-21', 1003, 1, 107);

-- The connector's user.  BINLOG MONITOR is MariaDB's name (10.5+) for what
-- MySQL calls REPLICATION CLIENT (SHOW MASTER STATUS, SHOW BINARY LOGS);
-- MariaDB still accepts REPLICATION CLIENT as an alias of it.
CREATE USER IF NOT EXISTS 'mysqluser'@'%';
CREATE USER IF NOT EXISTS 'mysqluser'@'localhost';
CREATE USER IF NOT EXISTS 'mysqluser'@'127.0.0.1';
ALTER USER 'mysqluser'@'%'         IDENTIFIED BY 'mysqlpwd';
ALTER USER 'mysqluser'@'localhost' IDENTIFIED BY 'mysqlpwd';
ALTER USER 'mysqluser'@'127.0.0.1' IDENTIFIED BY 'mysqlpwd';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR
    ON *.* TO 'mysqluser'@'%', 'mysqluser'@'localhost', 'mysqluser'@'127.0.0.1';

-- A user that may read the data but not the binary log.
CREATE USER IF NOT EXISTS 'nopriv'@'%';
ALTER USER 'nopriv'@'%' IDENTIFIED BY 'noprivpwd';
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'nopriv'@'%';
GRANT SELECT ON inventory.* TO 'nopriv'@'%';

FLUSH PRIVILEGES;
