-- A call's log entry that still takes its next decisions is marked, and at most one per call may be: each
-- decision then adds itself with one upsert instead of reading the entry first. Entries waiting from before
-- keep taking them (the newest of a call, if a race ever left two).
ALTER TABLE `outbox` ADD `accepting` integer;--> statement-breakpoint
UPDATE `outbox` SET `accepting` = 1 WHERE `id` IN (SELECT max(`id`) FROM `outbox` WHERE `attempts` = 0 AND `delivered_at` IS NULL GROUP BY `plugin`, `kind`, `provider`, `call_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_accepting_call` ON `outbox` (`plugin`,`kind`,`provider`,`call_id`) WHERE `accepting` = 1;
