CREATE TABLE `holidays` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`schedule_id` integer,
	`date` text NOT NULL,
	`end_date` text,
	`name` text DEFAULT '' NOT NULL,
	`hours` text
);
--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`time_zone` text,
	`hours` text DEFAULT '' NOT NULL,
	`note` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `schedules_name_unique` ON `schedules` (`name`);--> statement-breakpoint
ALTER TABLE `draft_rules` ADD `schedule` text;--> statement-breakpoint
ALTER TABLE `routing_publications` ADD `schedules` text;--> statement-breakpoint
ALTER TABLE `routing_publications` ADD `holidays` text;--> statement-breakpoint
ALTER TABLE `rules` ADD `schedule` text;--> statement-breakpoint
-- Opening hours and holidays decide routing too: their edits bump the 'routing' revision, as rules do.
CREATE TRIGGER `schedules_after_insert` AFTER INSERT ON `schedules` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
--> statement-breakpoint
CREATE TRIGGER `schedules_after_update` AFTER UPDATE ON `schedules` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
--> statement-breakpoint
CREATE TRIGGER `schedules_after_delete` AFTER DELETE ON `schedules` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
--> statement-breakpoint
CREATE TRIGGER `holidays_after_insert` AFTER INSERT ON `holidays` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
--> statement-breakpoint
CREATE TRIGGER `holidays_after_update` AFTER UPDATE ON `holidays` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
--> statement-breakpoint
CREATE TRIGGER `holidays_after_delete` AFTER DELETE ON `holidays` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'routing'; END;
