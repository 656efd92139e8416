-- The tables of a ZENLIX 2 database that the importers read, with ZENLIX's column names
-- and types (MyISAM and InnoDB mixed, utf8 declared, no foreign keys, no index but the
-- primary key), written for the tests and the benchmark. ticket_log.msg is latin1, as in
-- ZENLIX. The other ZENLIX tables (portal, chat, calendar, ...) are not imported.

CREATE TABLE perf (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  param varchar(512) NOT NULL DEFAULT '',
  value longtext,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE deps (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  name varchar(1024) DEFAULT NULL,
  status int(11) NOT NULL DEFAULT '1',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE units (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  name varchar(512) DEFAULT NULL,
  status int(11) NOT NULL DEFAULT '1',
  main_user int(11) DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE posada (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  name varchar(512) DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE subj (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  name varchar(512) DEFAULT NULL,
  parent_id int(11) NOT NULL DEFAULT '0',
  sort_id int(11) DEFAULT NULL,
  uniq_id varchar(1024) DEFAULT NULL,
  type int(11) NOT NULL DEFAULT '0',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE sla_plans (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  name varchar(512) DEFAULT NULL,
  parent_id int(11) NOT NULL DEFAULT '0',
  sort_id int(11) DEFAULT NULL,
  uniq_id varchar(1024) DEFAULT NULL,
  type int(11) NOT NULL DEFAULT '0',
  reaction_time_def int(11) NOT NULL DEFAULT '0',
  reaction_time_low_prio int(11) NOT NULL DEFAULT '0',
  reaction_time_high_prio int(11) NOT NULL DEFAULT '0',
  work_time_def int(11) NOT NULL DEFAULT '0',
  work_time_low_prio int(11) NOT NULL DEFAULT '0',
  work_time_high_prio int(11) NOT NULL DEFAULT '0',
  deadline_time_def int(11) NOT NULL DEFAULT '0',
  deadline_time_low_prio int(11) NOT NULL DEFAULT '0',
  deadline_time_high_prio int(11) NOT NULL DEFAULT '0',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE users (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  fio varchar(512) DEFAULT NULL,
  login varchar(64) NOT NULL DEFAULT '',
  pass varchar(64) NOT NULL DEFAULT '',
  status int(11) NOT NULL DEFAULT '1',
  priv int(11) DEFAULT '0',
  unit varchar(512) NOT NULL DEFAULT '0',
  is_admin int(4) NOT NULL DEFAULT '0',
  is_client int(4) NOT NULL DEFAULT '0',
  email varchar(128) DEFAULT NULL,
  messages varchar(2048) NOT NULL DEFAULT '',
  lang varchar(11) NOT NULL DEFAULT 'ru',
  priv_add_client int(11) NOT NULL DEFAULT '1',
  priv_edit_client int(11) NOT NULL DEFAULT '1',
  last_time datetime DEFAULT NULL,
  ldap_key int(11) NOT NULL DEFAULT '0',
  pb varchar(512) DEFAULT NULL,
  messages_title varchar(2048) NOT NULL DEFAULT '',
  usr_img varchar(512) DEFAULT NULL,
  uniq_id varchar(512) DEFAULT NULL,
  posada varchar(512) DEFAULT NULL,
  tel varchar(512) DEFAULT NULL,
  skype varchar(512) DEFAULT NULL,
  unit_desc varchar(1024) DEFAULT NULL,
  adr varchar(1024) DEFAULT NULL,
  messages_type int(11) DEFAULT '0',
  noty_layot varchar(64) NOT NULL DEFAULT 'bottomRight',
  def_unit_id int(11) NOT NULL DEFAULT '0',
  def_user_id varchar(1024) NOT NULL DEFAULT '0',
  api_key varchar(1024) DEFAULT NULL,
  mob varchar(64) NOT NULL DEFAULT '0',
  PRIMARY KEY (id)
) ENGINE=MyISAM DEFAULT CHARSET=utf8;

CREATE TABLE users_notify (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  user_id int(11) NOT NULL,
  mail varchar(2048) DEFAULT NULL,
  pb varchar(2048) DEFAULT NULL,
  sms varchar(2048) DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE tickets (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  user_init_id int(11) DEFAULT NULL,
  user_to_id varchar(512) DEFAULT NULL,
  date_create datetime DEFAULT NULL,
  subj varchar(512) DEFAULT NULL,
  msg longtext,
  client_id int(11) DEFAULT NULL,
  unit_id int(11) DEFAULT NULL,
  status int(11) DEFAULT '0',
  hash_name varchar(512) DEFAULT NULL,
  comment varchar(1024) DEFAULT NULL,
  arch int(11) DEFAULT '0',
  is_read int(11) DEFAULT '0',
  lock_by int(11) DEFAULT '0',
  last_edit datetime DEFAULT NULL,
  ok_by int(11) DEFAULT '0',
  prio int(4) NOT NULL DEFAULT '0',
  ok_date datetime DEFAULT NULL,
  last_update datetime DEFAULT NULL,
  deadline_time datetime DEFAULT NULL,
  sla_plan_id int(11) NOT NULL DEFAULT '0',
  PRIMARY KEY (id)
) ENGINE=MyISAM DEFAULT CHARSET=utf8;

CREATE TABLE comments (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  t_id int(11) DEFAULT NULL,
  user_id int(11) DEFAULT NULL,
  comment_text varchar(2048) DEFAULT NULL,
  dt datetime DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE=MyISAM DEFAULT CHARSET=utf8;

CREATE TABLE ticket_log (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  date_op datetime DEFAULT NULL,
  msg varchar(512) CHARACTER SET latin1 DEFAULT NULL,
  init_user_id int(11) DEFAULT NULL,
  to_user_id varchar(128) DEFAULT NULL,
  ticket_id int(11) DEFAULT NULL,
  to_unit_id int(11) DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE=MyISAM DEFAULT CHARSET=utf8;

CREATE TABLE files (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  ticket_hash varchar(512) DEFAULT NULL,
  original_name varchar(512) DEFAULT NULL,
  file_hash varchar(512) DEFAULT NULL,
  file_type varchar(512) DEFAULT NULL,
  file_size int(11) DEFAULT NULL,
  file_ext varchar(12) DEFAULT NULL,
  obj_type int(11) NOT NULL DEFAULT '0',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE ticket_info (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  ticket_id int(11) DEFAULT NULL,
  ticket_source varchar(128) NOT NULL DEFAULT 'web',
  ip varchar(64) DEFAULT NULL,
  os varchar(512) DEFAULT NULL,
  browser varchar(512) DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE=MyISAM DEFAULT CHARSET=utf8;
