-- An approval is announced until reserve-seat says it has settled the order with it (confirmed it,
-- or asked for the payment back): a lost `premiere.payment.approved` must not leave a buyer
-- charged without tickets, nor need an operator to notice.
ALTER TABLE payments ADD COLUMN order_settled_at timestamptz;
-- When reconciliation last announced the approval again (the first announcement is at approval).
ALTER TABLE payments ADD COLUMN announced_at timestamptz;
-- Approvals made before this column existed were settled by hand if at all: not announced again.
UPDATE payments SET order_settled_at = updated_at WHERE state = 'approved';
CREATE INDEX payments_unacknowledged ON payments (updated_at) WHERE state = 'approved' AND order_settled_at IS NULL;
