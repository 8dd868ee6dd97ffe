-- Any change to the local directory (contacts, or the owners they point at) bumps the 'directory' revision,
-- so a running service knows when the lookups it keeps in memory are out of date, whoever made the change
-- (the admin API, another SQLite tool, another Worker isolate).
INSERT INTO `revisions` (`name`, `value`) VALUES ('directory', 1);
--> statement-breakpoint
CREATE TRIGGER `contacts_after_insert` AFTER INSERT ON `contacts` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'directory'; END;
--> statement-breakpoint
CREATE TRIGGER `contacts_after_update` AFTER UPDATE ON `contacts` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'directory'; END;
--> statement-breakpoint
CREATE TRIGGER `contacts_after_delete` AFTER DELETE ON `contacts` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'directory'; END;
--> statement-breakpoint
CREATE TRIGGER `owners_after_insert` AFTER INSERT ON `owners` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'directory'; END;
--> statement-breakpoint
CREATE TRIGGER `owners_after_update` AFTER UPDATE ON `owners` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'directory'; END;
--> statement-breakpoint
CREATE TRIGGER `owners_after_delete` AFTER DELETE ON `owners` BEGIN UPDATE `revisions` SET `value` = `value` + 1 WHERE `name` = 'directory'; END;
